package dev.vbank.gateway.api;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import java.util.List;
import java.util.Map;

/**
 * Every operation answers errors with {@code {"error": {"code", "message", "param"}}}: the document says so once per
 * operation (as {@code default}, and on each 4xx/5xx it lists without a body), so generated clients can read them; and
 * every response gets the description OpenAPI requires, and a request body's {@code $ref} stands alone.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ErrorResponses implements OASFilter {
    static final String SCHEMA = "Error";
    private static final String REF = "#/components/schemas/" + SCHEMA;

    @Override
    public void filterOpenAPI(OpenAPI api) {
        if (api.getComponents() == null) {
            api.setComponents(OASFactory.createComponents());
        }
        Schema detail = OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .addProperty("code", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)))
                .addProperty("message", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)))
                .addProperty("param", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING, Schema.SchemaType.NULL))
                        .description("the offending field, e.g. method.hyperparameters.topk, when there is one"))
                .required(List.of("code", "message"));
        api.getComponents().addSchema(SCHEMA, OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .description("The body of every 4xx/5xx answer").addProperty("error", detail).required(List.of("error")));
        if (api.getPaths() == null || api.getPaths().getPathItems() == null) {
            return;
        }
        api.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(this::addErrors));
    }

    private void addErrors(Operation op) {
        if (op.getRequestBody() != null && op.getRequestBody().getContent() != null) {
            // SmallRye writes a multipart form's properties beside its $ref; a $ref stands alone
            op.getRequestBody().getContent().getMediaTypes().values().forEach(m -> {
                Schema s = m.getSchema();
                if (s != null && s.getRef() != null) {
                    s.setProperties(null);
                    s.setType(null);
                }
            });
        }
        if (op.getResponses() == null) {
            op.setResponses(OASFactory.createAPIResponses());
        }
        for (Map.Entry<String, APIResponse> r : op.getResponses().getAPIResponses().entrySet()) {
            if (r.getKey().matches("[45]\\d\\d") && r.getValue().getContent() == null) {
                r.getValue().setContent(errorContent());
            }
            if (r.getValue().getDescription() == null) {
                // OpenAPI requires one; generators reject a document without it
                r.getValue().setDescription(r.getKey().startsWith("2") ? "success" : "an error");
            }
        }
        if (op.getResponses().getDefaultValue() == null) {
            op.getResponses().setDefaultValue(OASFactory.createAPIResponse().description("an error").content(errorContent()));
        }
    }

    private static org.eclipse.microprofile.openapi.models.media.Content errorContent() {
        return OASFactory.createContent().addMediaType("application/json",
                OASFactory.createMediaType().schema(OASFactory.createSchema().ref(REF)));
    }
}
