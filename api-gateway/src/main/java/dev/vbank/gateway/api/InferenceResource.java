package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.InferenceClient;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/** Predictions and embeddings from the tenant's adapters, answered by the inference-service. */
@Path("/v1")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "inference", description = "Predictions and embeddings from trained adapters")
@SecurityRequirement(name = "bearer")
public class InferenceResource {

    static final String SERVICE = "inference-service";
    // the bodies' schemas are InferenceSchemas' (written by ApiDocument): the JsonNode parameter alone would put
    // Jackson's JsonNode class into the document as a schema, and the client generated from it would not compile

    private final CurrentTenant tenant;
    private final InferenceClient inference;

    public InferenceResource(CurrentTenant tenant, @RestClient InferenceClient inference) {
        this.tenant = tenant;
        this.inference = inference;
    }

    @POST
    @Path("predictions")
    @Operation(summary = "The adapter's label and class probabilities (or regression value) for each input: "
            + "{\"adapter\", \"inputs\": [\"text\" | {\"text_a\", \"text_b\"}, …]}")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = InferenceSchemas.PREDICTION_LIST)))
    @APIResponse(responseCode = "400", description = "a malformed body (param names the field, e.g. inputs[3])")
    @APIResponse(responseCode = "404", description = "no such adapter for this tenant")
    @APIResponse(responseCode = "503", description = "the inference-service, or the artifact-service an adapter not yet"
            + " cached is fetched from, is unavailable")
    public Response predictions(@RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = InferenceSchemas.PREDICTION_REQUEST))) JsonNode body) {
        return Downstream.call(SERVICE, () -> inference.predictions(tenant.id(), object(body)));
    }

    @POST
    @Path("embeddings")
    @Operation(summary = "Pooled encoder outputs of a base model, or with an adapter applied: "
            + "{\"model\" | \"adapter\", \"input\": \"text\" | [\"text\", …]}")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = InferenceSchemas.EMBEDDING_LIST)))
    @APIResponse(responseCode = "400", description = "a malformed body, neither model nor adapter, or a model that is"
            + " not the adapter's (param names the field)")
    @APIResponse(responseCode = "404", description = "no such adapter for this tenant, or no such base model")
    @APIResponse(responseCode = "503", description = "the inference-service, or the artifact-service an adapter not yet"
            + " cached is fetched from, is unavailable")
    public Response embeddings(@RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(ref = InferenceSchemas.EMBEDDING_REQUEST))) JsonNode body) {
        return Downstream.call(SERVICE, () -> inference.embeddings(tenant.id(), object(body)));
    }

    private static JsonNode object(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw Invalid.of(null, "the body must be a JSON object");
        }
        return body;
    }
}
