package dev.vbank.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.vbank.gateway.downstream.ArtifactStreams;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Published vector banks (issue 12): the bank of a trained VB-LoRA adapter, shared by per-user adapters trained against
 * it frozen, which then store only their top-k indices, weights and head.
 */
@Path("/v1/vector_banks")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "vector_banks", description = "Published VB-LoRA vector banks that per-user adapters train against")
@SecurityRequirement(name = "bearer")
public class VectorBanksResource {

    static final String SERVICE = "artifact-service";

    /** The create body, strictly read (unknown fields are a 400 naming them). */
    public record CreateRequest(@JsonProperty("from_adapter") String fromAdapter, String name) {
    }

    private final CurrentTenant tenant;
    private final ArtifactServiceClient artifacts;
    private final ArtifactStreams streams;

    public VectorBanksResource(CurrentTenant tenant, @RestClient ArtifactServiceClient artifacts,
                               ArtifactStreams streams) {
        this.tenant = tenant;
        this.artifacts = artifacts;
        this.streams = streams;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Publish the vector bank of a trained VB-LoRA adapter (immutable, content-addressed); "
            + "publishing the same bank again answers the existing one with 200")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = BankSchemas.CreateVectorBankRequest.class)))
    @APIResponse(responseCode = "201", description = "the published bank",
            content = @Content(schema = @Schema(implementation = BankSchemas.VectorBank.class)))
    @APIResponse(responseCode = "200", description = "this bank was already published: the existing one",
            content = @Content(schema = @Schema(implementation = BankSchemas.VectorBank.class)))
    public Response create(byte[] body) {
        CreateRequest request = Bodies.read(body, CreateRequest.class);
        Params.id("from_adapter", request.fromAdapter());
        if (request.name() != null && (request.name().length() > 128
                || request.name().chars().anyMatch(Character::isISOControl))) {
            throw Invalid.of("name", "name must be at most 128 characters without control characters");
        }
        Map<String, Object> forwarded = new LinkedHashMap<>();
        forwarded.put("from_adapter", request.fromAdapter());
        if (request.name() != null) {
            forwarded.put("name", request.name());
        }
        return Downstream.call(SERVICE, () -> artifacts.publishVectorBank(tenant.id(), forwarded));
    }

    @GET
    @Operation(summary = "Your vector banks and the platform-wide ones, newest first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBankList.class)))
    public Response list() {
        return Downstream.call(SERVICE, () -> artifacts.vectorBanks(tenant.id()));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A vector bank (yours or platform-wide; another tenant's is not found)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBank.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> artifacts.vectorBank(tenant.id(), id));
    }

    @GET
    @Path("{id}/usage")
    @Operation(summary = "Your adapters that reference the bank, and how often each bank vector is selected summed "
            + "over them (which vectors the users share)")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBankUsage.class)))
    public Response usage(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> artifacts.vectorBankUsage(tenant.id(), id));
    }

    @GET
    @Path("{id}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The bank file: safetensors with one F32 tensor vblora_vector_bank (h, b)")
    @APIResponse(responseCode = "200", description = "the bytes; header X-Vbank-Sha256 holds their sha256",
            content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary")))
    public Response content(@PathParam("id") String id) {
        Params.id("id", id);
        return streams.download("/internal/tenants/" + ArtifactStreams.enc(tenant.id()) + "/vector_banks/"
                + ArtifactStreams.enc(id) + "/content", Map.of());
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete a vector bank: 409 while any adapter references it or for a platform-wide bank")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = BankSchemas.VectorBankDeleted.class)))
    public Response delete(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> artifacts.deleteVectorBank(tenant.id(), id));
    }
}
