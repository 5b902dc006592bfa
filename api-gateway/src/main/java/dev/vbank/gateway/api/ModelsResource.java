package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.json.Json;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.util.Iterator;
import java.util.Map;

/** The base models jobs can fine-tune, from the artifact-service's registry. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "models", description = "Base models")
@SecurityRequirement(name = "bearer")
public class ModelsResource {

    private final ArtifactServiceClient artifacts;

    public ModelsResource(@RestClient ArtifactServiceClient artifacts) {
        this.artifacts = artifacts;
    }

    @GET
    @Operation(summary = "List base models")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.ModelList.class)))
    public JsonNode list() {
        JsonNode body = Downstream.fetch("artifact-service", artifacts::baseModels).orRelay().json("artifact-service");
        JsonNode items = body.isArray() ? body : body.path("data");
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        for (JsonNode item : items) {
            if (!item.isObject() || !item.hasNonNull("id")) {
                continue;
            }
            ObjectNode model = data.addObject();
            model.put("id", item.get("id").asText());
            model.put("object", "model");
            model.put("created", item.path("created_at").asLong(item.path("created").asLong(0)));
            model.put("owned_by", "vbank");
            for (Iterator<Map.Entry<String, JsonNode>> it = item.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!model.has(e.getKey()) && !e.getKey().equals("created_at")) {
                    model.set(e.getKey(), e.getValue());
                }
            }
        }
        out.put("has_more", false);
        return out;
    }
}
