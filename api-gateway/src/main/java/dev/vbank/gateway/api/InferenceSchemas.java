package dev.vbank.gateway.api;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;

import java.math.BigDecimal;
import java.util.List;

/**
 * The bodies of {@code POST /v1/predictions} and {@code POST /v1/embeddings} as the inference-service reads and writes
 * them (its {@code api} package: Inputs, PredictionsResource, EmbeddingsResource), written into the OpenAPI document
 * by {@link ApiDocument}. The gateway relays both bodies untouched, so these schemas are documentation only.
 * <p>
 * Where the wire takes alternatives the schema says so with {@code oneOf} as far as a generated client can follow: a
 * prediction input is a string or a {@code {"text_a", "text_b"}} pair (told apart by JSON type, which is all a
 * generated client's oneOf wrapper checks). {@code inputs} and {@code input} are declared as arrays: the service also
 * takes one bare input there, but a oneOf with an array alternative gives openapi-generator's Java client methods that
 * do not compile ({@code getList<String>()}), so that shorthand is said in the description only. A prediction row is
 * one schema with optional {@code label}/{@code probabilities} (classification) and {@code value} (regression): two
 * object alternatives without a discriminator would both match every row in a generated client (its mapper ignores
 * unknown properties), and the wire carries no discriminator.
 */
final class InferenceSchemas implements OASFilter {

    static final String TEXT_PAIR = "TextPair";
    static final String PREDICTION_INPUT = "PredictionInput";
    static final String PREDICTION_REQUEST = "PredictionRequest";
    static final String PREDICTION = "Prediction";
    static final String PREDICTION_USAGE = "PredictionUsage";
    static final String PREDICTION_LIST = "PredictionList";
    static final String EMBEDDING_REQUEST = "EmbeddingRequest";
    static final String EMBEDDING = "Embedding";
    static final String EMBEDDING_USAGE = "EmbeddingUsage";
    static final String EMBEDDING_LIST = "EmbeddingList";

    private static final String ID_PATTERN = "^[A-Za-z0-9_.-]{1,128}$";
    private static final String LIMITS = " At most vbank.inference.max-inputs inputs (256 by default) of at most"
            + " vbank.inference.max-input-chars characters (20,000 by default) each.";
    private static final String BARE = " The service also takes a single input sent bare, without the array.";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        Components c = openAPI.getComponents();

        c.addSchema(TEXT_PAIR, object().additionalPropertiesBoolean(false).required(List.of("text_a"))
                .description("A sentence pair, encoded as one sequence (text_a [SEP] text_b)")
                .addProperty("text_a", text())
                .addProperty("text_b", text().description("optional: a single text may also be sent as a string")));
        c.addSchema(PREDICTION_INPUT, OASFactory.createSchema().description("One input: a text or a sentence pair")
                .oneOf(List.of(text(), ref(TEXT_PAIR))));
        c.addSchema(PREDICTION_REQUEST, object().additionalPropertiesBoolean(false)
                .required(List.of("adapter", "inputs"))
                .addProperty("adapter", id().description("the adapter whose head answers (its base model encodes)"))
                .addProperty("inputs", array(ref(PREDICTION_INPUT)).minItems(1)
                        .description("The inputs, answered in order." + LIMITS + BARE)));
        c.addSchema(PREDICTION, object().required(List.of("index"))
                .description("The answer for inputs[index]: label and probabilities for a classification adapter,"
                        + " value for a regression adapter")
                .addProperty("index", integer().minimum(BigDecimal.ZERO))
                .addProperty("label", text().description("the most probable label (classification)"))
                .addProperty("probabilities", object().additionalPropertiesSchema(number().format("double"))
                        .description("label → probability, summing to 1 (classification)"))
                .addProperty("value", number().format("double").description("the predicted value (regression)")));
        c.addSchema(PREDICTION_USAGE, object().required(List.of("inputs", "tokens", "truncated"))
                .addProperty("inputs", integer())
                .addProperty("tokens", integer().format("int64").description("tokens encoded"))
                .addProperty("truncated", integer().description("inputs cut to the adapter's training length")));
        c.addSchema(PREDICTION_LIST, object().required(List.of("object", "adapter", "model", "data", "usage"))
                .addProperty("object", constant("list"))
                .addProperty("adapter", text())
                .addProperty("model", text().description("the adapter's base model"))
                .addProperty("data", array(ref(PREDICTION)).description("one per input, in input order"))
                .addProperty("usage", ref(PREDICTION_USAGE)));

        c.addSchema(EMBEDDING_REQUEST, object().additionalPropertiesBoolean(false).required(List.of("input"))
                .description("Name a base model (its embeddings), an adapter (the adapter applied to its base model),"
                        + " or both (the model must then be the adapter's)")
                .addProperty("model", text().description("a base model id (GET /v1/models)"))
                .addProperty("adapter", id())
                .addProperty("input", array(text()).minItems(1)
                        .description("The texts, answered in order." + LIMITS + BARE))
                .addProperty("encoding_format", constant("float").description("float only (the default)")));
        c.addSchema(EMBEDDING, object().required(List.of("object", "index", "embedding"))
                .addProperty("object", constant("embedding"))
                .addProperty("index", integer().minimum(BigDecimal.ZERO))
                .addProperty("embedding", array(number().format("float"))
                        .description("the pooled encoder output (the base model's pooling), hidden_size values")));
        c.addSchema(EMBEDDING_USAGE, object().required(List.of("prompt_tokens", "total_tokens", "inputs", "truncated"))
                .addProperty("prompt_tokens", integer().format("int64"))
                .addProperty("total_tokens", integer().format("int64"))
                .addProperty("inputs", integer())
                .addProperty("truncated", integer().description("inputs cut to the adapter's training length (without"
                        + " an adapter: the model's maximum positions)")));
        c.addSchema(EMBEDDING_LIST, object().required(List.of("object", "data", "model", "usage"))
                .addProperty("object", constant("list"))
                .addProperty("data", array(ref(EMBEDDING)).description("one per input, in input order"))
                .addProperty("model", text().description("the base model that encoded"))
                .addProperty("adapter", text().description("present when an adapter was applied"))
                .addProperty("usage", ref(EMBEDDING_USAGE)));
    }

    private static Schema object() {
        return OASFactory.createSchema().addType(SchemaType.OBJECT);
    }

    private static Schema text() {
        return OASFactory.createSchema().addType(SchemaType.STRING).minLength(1);
    }

    private static Schema id() {
        return OASFactory.createSchema().addType(SchemaType.STRING).pattern(ID_PATTERN);
    }

    private static Schema integer() {
        return OASFactory.createSchema().addType(SchemaType.INTEGER);
    }

    private static Schema number() {
        return OASFactory.createSchema().addType(SchemaType.NUMBER);
    }

    private static Schema array(Schema items) {
        return OASFactory.createSchema().addType(SchemaType.ARRAY).items(items);
    }

    private static Schema constant(String value) {
        return OASFactory.createSchema().addType(SchemaType.STRING).enumeration(List.of(value));
    }

    private static Schema ref(String name) {
        return OASFactory.createSchema().ref(name);
    }
}
