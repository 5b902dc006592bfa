package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.FineTuningJob;
import dev.vbank.common.spec.JobRequestFields;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.SchedulerClient;
import dev.vbank.gateway.quota.QuotaGuard;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.gateway.tenants.Tenant;
import dev.vbank.service.error.Invalid;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Fine-tuning jobs, delegated to the job-scheduler under the caller's tenant. */
@Path("/v1/fine_tuning/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "fine-tuning", description = "Fine-tuning jobs, their events and checkpoints")
@SecurityRequirement(name = "bearer")
public class JobsResource {

    private static final String SERVICE = "job-scheduler";

    /** Its {@code method} and {@code model} schemas are written from the job spec by {@link JobSpecSchemas}. */
    @Schema(name = "CreateFineTuningJobRequest", description = "Hyperparameters are validated by the job-scheduler")
    public record CreateJob(@Schema(required = true, examples = "all-minilm-l6-v2") String model,
                            @Schema(required = true) String trainingFile, String validationFile,
                            @Schema(required = true) Map<String, Object> method, String suffix, Long seed,
                            Map<String, String> metadata,
                            @Schema(description = "run an evaluation when the job succeeds: {\"suite\": \"sentiment-en\","
                                    + " \"baselines\": [\"head_only\"]}") Map<String, Object> evaluation) {
    }

    @Schema(name = "FineTuningJobList")
    public record JobList(String object, java.util.List<FineTuningJob> data, boolean hasMore) {
    }

    @Schema(name = "JobEventList")
    public record EventList(String object, java.util.List<JobEvent> data, boolean hasMore) {
    }

    private final CurrentTenant tenant;
    private final SchedulerClient scheduler;
    private final QuotaGuard quotas;
    private final EventStreams streams;

    public JobsResource(CurrentTenant tenant, @RestClient SchedulerClient scheduler, QuotaGuard quotas,
                        EventStreams streams) {
        this.tenant = tenant;
        this.scheduler = scheduler;
        this.quotas = quotas;
        this.streams = streams;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a fine-tuning job; a repeated Idempotency-Key returns the first job")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateJob.class)))
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = FineTuningJob.class)))
    @APIResponse(responseCode = "429", description = "quota or rate limit exceeded")
    public Response create(@Parameter(description = "1 to 255 printable ASCII characters")
                           @HeaderParam("Idempotency-Key") String idempotencyKey, byte[] body) {
        Params.idempotencyKey(idempotencyKey);
        checkShape(Bodies.tree(body));
        Tenant t = tenant.get();
        QuotaGuard.JobLimits limits = quotas.jobLimits(t);
        return Downstream.call(SERVICE, () -> scheduler.create(t.id(), idempotencyKey, limits.maxQueued(),
                limits.maxRunning(), body));
    }

    @GET
    @Operation(summary = "List jobs (newest first); after, limit and metadata[key]=value filters")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = JobList.class)))
    public Response list(@Context UriInfo uri) {
        Map<String, String> query = Params.page(uri.getQueryParameters(), true);
        return Downstream.call(SERVICE, () -> scheduler.list(tenant.id(), query));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A job")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = FineTuningJob.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.get(tenant.id(), id));
    }

    @POST
    @Path("{id}/cancel")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Cancel a job")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = FineTuningJob.class)))
    public Response cancel(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.cancel(tenant.id(), id));
    }

    @GET
    @Path("{id}/events")
    @Operation(summary = "A page of the job's events (oldest first after 'after'); Accept: text/event-stream streams them")
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EventList.class)),
            @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(implementation = JobEvent.class))})
    public Response events(@PathParam("id") String id, @Context UriInfo uri) {
        Params.id("id", id);
        Map<String, String> query = Params.page(uri.getQueryParameters(), false);
        return Downstream.call(SERVICE, () -> scheduler.events(tenant.id(), id, query));
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(hidden = true)
    public Multi<OutboundSseEvent> stream(@PathParam("id") String id, @HeaderParam("Last-Event-ID") String lastEventId,
                                          @Context UriInfo uri, @Context Sse sse) {
        Params.id("id", id);
        Map<String, String> query = Params.page(uri.getQueryParameters(), false, Set.of());
        String after = lastEventId != null && !lastEventId.isBlank() ? Params.id("Last-Event-ID", lastEventId.strip())
                : query.get("after");
        return streams.open(tenant.id(), id, after, sse);
    }

    @GET
    @Path("{id}/checkpoints")
    @Operation(summary = "The job's checkpoints")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WireSchemas.CheckpointList.class)))
    public Response checkpoints(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.checkpoints(tenant.id(), id));
    }

    /** Field names (the job spec's) and basic types; the scheduler validates values and hyperparameters. */
    private static void checkShape(JsonNode body) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!JobRequestFields.TOP.contains(name)) {
                throw Invalid.of(name.length() > 64 ? name.substring(0, 64) : name, "unknown field '"
                        + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
            }
        }
        for (String required : JobRequestFields.REQUIRED) {
            if (!body.hasNonNull(required)) {
                throw Invalid.of(required, required + " is required");
            }
        }
        for (String text : new String[]{"model", "training_file", "validation_file", "suffix"}) {
            JsonNode v = body.get(text);
            if (v != null && !v.isNull() && (!v.isTextual() || v.asText().length() > 256)) {
                throw Invalid.of(text, text + " must be a string of at most 256 characters");
            }
        }
        for (String file : new String[]{"training_file", "validation_file"}) {
            if (body.hasNonNull(file)) {
                Params.id(file, body.get(file).asText());
            }
        }
        if (!body.get("method").isObject()) {
            throw Invalid.of("method", "method must be an object with type and hyperparameters");
        }
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull() && (!seed.isIntegralNumber() || !seed.canConvertToLong())) {
            throw Invalid.of("seed", "seed must be an integer");
        }
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw Invalid.of("metadata", "metadata must be an object of string values");
        }
        JsonNode evaluation = body.get("evaluation");
        if (evaluation != null && !evaluation.isNull() && (!evaluation.isObject() || !evaluation.path("suite").isTextual())) {
            throw Invalid.of("evaluation", "evaluation must be an object like {\"suite\": \"sentiment-en\"}");
        }
    }
}
