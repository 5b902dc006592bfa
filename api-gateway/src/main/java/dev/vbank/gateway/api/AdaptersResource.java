package dev.vbank.gateway.api;

import dev.vbank.gateway.downstream.ArtifactStreams;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.EvaluationClient;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.resteasy.reactive.RestQuery;

import java.util.Map;
import java.util.Set;

/** Trained adapters: metadata and content in three formats. */
@Path("/v1/adapters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "adapters", description = "Adapters produced by fine-tuning jobs")
@SecurityRequirement(name = "bearer")
public class AdaptersResource {

    private static final Set<String> FORMATS = Set.of("compact", "peft", "merged");

    private final CurrentTenant tenant;
    private final ArtifactServiceClient artifacts;
    private final ArtifactStreams streams;
    private final EvaluationClient evaluations;

    public AdaptersResource(CurrentTenant tenant, @RestClient ArtifactServiceClient artifacts, ArtifactStreams streams,
                            @RestClient EvaluationClient evaluations) {
        this.tenant = tenant;
        this.artifacts = artifacts;
        this.streams = streams;
        this.evaluations = evaluations;
    }

    @GET
    @Path("{id}/evaluation_results")
    @Operation(summary = "The adapter's evaluation results (and its baselines') across all evaluations")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation =
            EvaluationsResource.ResultList.class)))
    public Response evaluationResults(@PathParam("id") String id) {
        Params.id("id", id);
        // another tenant's (or no) adapter is a 404 from its owner, not an empty list
        Downstream.fetch("artifact-service", () -> artifacts.adapter(tenant.id(), id)).orRelay();
        return Downstream.call(EvaluationsResource.SERVICE, () -> evaluations.adapterResults(tenant.id(), id));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "An adapter's metadata")
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call("artifact-service", () -> artifacts.adapter(tenant.id(), id));
    }

    @GET
    @Path("{id}/bank_usage")
    @Operation(summary = "How the adapter uses its vector bank: top-k selections per sub-vector, usage per bank vector, "
            + "stored bytes next to the LoRA-equivalent bytes")
    public Response bankUsage(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call("artifact-service", () -> artifacts.bankUsage(tenant.id(), id));
    }

    @GET
    @Path("{id}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The adapter's bytes: compact (vbank), peft (zip of a HF PEFT directory) or merged (safetensors)")
    public Response content(@PathParam("id") String id,
                            @Parameter(schema = @Schema(type = SchemaType.STRING, enumeration = {"compact", "peft",
                                    "merged"}, defaultValue = "compact")) @RestQuery("format") String format) {
        Params.id("id", id);
        String f = format == null ? "compact" : format;
        if (!FORMATS.contains(f)) {
            throw Invalid.of("format", "format must be compact, peft or merged");
        }
        return streams.download("/internal/tenants/" + ArtifactStreams.enc(tenant.id()) + "/adapters/"
                + ArtifactStreams.enc(id) + "/content", Map.of("format", f));
    }
}
