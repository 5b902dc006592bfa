package dev.vbank.gateway.api;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's {@code mp.openapi.filter}: the job spec ({@link JobSpecSchemas}), the inference bodies
 * ({@link InferenceSchemas}), then what a client generated from the document needs to talk to the real wire (checked by
 * e2e-tests' GeneratedClientEndToEndTest, which generates a Java client with openapi-generator and drives the platform
 * through it):
 * <ul>
 *   <li>The uploads ({@code POST /v1/files}, {@code POST /v1/adapters}) are one path and verb served by two methods, a
 *   multipart form and a raw body, merged into one operation. Generators build their method from the first media type
 *   of a request body, so the multipart form comes first; the raw body's {@code filename} query parameter is then
 *   optional (a form's file part carries its name), and the {@code Content-Length} header the raw method reads is no
 *   parameter a client sets.</li>
 *   <li>Optional arrays and objects of request bodies may be null ({@code type: [array, null]}): a generated client
 *   starts a non-null optional collection as an empty one and sends it ({@code "adapter_filter": {}} is a 400: an empty
 *   filter would select every job), a nullable one it leaves out or sends as null, which the services take as
 *   unset.</li>
 * </ul>
 */
public class ApiDocument implements OASFilter {

    static final Set<String> REQUEST_SCHEMAS = Set.of("CreateFineTuningJobRequest", "FineTuningMethod",
            JobSpecSchemas.HYPERPARAMETERS, "CreateEvaluationRequest", "CreateEvaluationSuiteRequest", "SuiteTask",
            "CreateTenantRequest", InferenceSchemas.PREDICTION_REQUEST, InferenceSchemas.EMBEDDING_REQUEST);

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        new JobSpecSchemas().filterOpenAPI(openAPI);
        new InferenceSchemas().filterOpenAPI(openAPI);
        if (openAPI.getPaths() != null && openAPI.getPaths().getPathItems() != null) {
            for (PathItem item : openAPI.getPaths().getPathItems().values()) {
                item.getOperations().values().forEach(ApiDocument::operation);
            }
        }
        Map<String, Schema> schemas = openAPI.getComponents() == null ? null : openAPI.getComponents().getSchemas();
        if (schemas != null) {
            schemas.forEach((name, schema) -> {
                if (REQUEST_SCHEMAS.contains(name)) {
                    optionalCollectionsNullable(schema);
                }
            });
        }
    }

    private static void operation(Operation op) {
        List<Parameter> parameters = op.getParameters();
        if (parameters != null) {
            op.setParameters(parameters.stream().filter(p -> !(p.getIn() == Parameter.In.HEADER
                    && "Content-Length".equalsIgnoreCase(p.getName()))).toList());
        }
        Content content = op.getRequestBody() == null ? null : op.getRequestBody().getContent();
        if (content == null || content.getMediaTypes() == null
                || !content.hasMediaType(jakarta.ws.rs.core.MediaType.MULTIPART_FORM_DATA)
                || content.getMediaTypes().size() < 2) {
            return;
        }
        Map<String, MediaType> ordered = new LinkedHashMap<>();
        ordered.put(jakarta.ws.rs.core.MediaType.MULTIPART_FORM_DATA,
                content.getMediaType(jakarta.ws.rs.core.MediaType.MULTIPART_FORM_DATA));
        ordered.putAll(content.getMediaTypes());
        Content reordered = OASFactory.createContent();
        ordered.forEach(reordered::addMediaType);
        op.getRequestBody().setContent(reordered);
        if (op.getParameters() != null) {
            for (Parameter p : op.getParameters()) {
                if (p.getIn() == Parameter.In.QUERY) {
                    // the raw body's parameters; a form carries its own fields (and the file part its name)
                    p.setRequired(null);
                    p.setDescription("filename".equals(p.getName())
                            ? "with a raw body only, and required there: the file's name (.jsonl or .csv); a form's file"
                                    + " part carries its own"
                            : "with a raw body only (a form sends it as a field)");
                }
            }
        }
    }

    private static void optionalCollectionsNullable(Schema schema) {
        if (schema.getProperties() == null) {
            return;
        }
        List<String> required = schema.getRequired() == null ? List.of() : schema.getRequired();
        schema.getProperties().forEach((name, property) -> {
            if (required.contains(name) || property.getRef() != null || property.getType() == null) {
                return;
            }
            if (property.getType().contains(SchemaType.ARRAY) || property.getType().contains(SchemaType.OBJECT)) {
                property.addType(SchemaType.NULL);
            }
        });
    }
}
