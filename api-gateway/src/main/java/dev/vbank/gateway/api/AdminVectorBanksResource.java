package dev.vbank.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
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

import java.util.LinkedHashMap;
import java.util.Map;

/** Platform-wide vector banks (admin token): seeded per base model by deploy ({@code vbank-local seed-bank}). */
@Path("/admin/vector_banks")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin", description = "Tenants and API keys (admin token)")
@SecurityRequirement(name = "admin")
public class AdminVectorBanksResource {

    /** The seed body, strictly read. */
    public record SeedRequest(String tenant, @JsonProperty("from_adapter") String fromAdapter, String name) {
    }

    private final ArtifactServiceClient artifacts;

    public AdminVectorBanksResource(@RestClient ArtifactServiceClient artifacts) {
        this.artifacts = artifacts;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Publish a platform-wide vector bank (every tenant sees it, read-only) from a tenant's "
            + "VB-LoRA adapter")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = BankSchemas.SeedVectorBankRequest.class)))
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBank.class)))
    public Response seed(byte[] body) {
        SeedRequest request = Bodies.read(body, SeedRequest.class);
        Params.id("tenant", request.tenant());
        Params.id("from_adapter", request.fromAdapter());
        if (request.name() != null && (request.name().length() > 128
                || request.name().chars().anyMatch(Character::isISOControl))) {
            throw Invalid.of("name", "name must be at most 128 characters without control characters");
        }
        Map<String, Object> forwarded = new LinkedHashMap<>();
        forwarded.put("tenant", request.tenant());
        forwarded.put("from_adapter", request.fromAdapter());
        if (request.name() != null) {
            forwarded.put("name", request.name());
        }
        return Downstream.call(VectorBanksResource.SERVICE, () -> artifacts.seedVectorBank(forwarded));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete a platform-wide vector bank (409 while any adapter references it)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBankDeleted.class)))
    public Response delete(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(VectorBanksResource.SERVICE, () -> artifacts.deletePlatformVectorBank(id));
    }
}
