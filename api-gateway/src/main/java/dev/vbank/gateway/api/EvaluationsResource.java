package dev.vbank.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.EvaluationClient;
import dev.vbank.gateway.quota.QuotaGuard;
import dev.vbank.gateway.tenants.CurrentTenant;
import dev.vbank.gateway.tenants.Tenant;
import dev.vbank.service.error.Invalid;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.resteasy.reactive.RestQuery;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Batch evaluations of adapters on a suite, delegated to the job-scheduler under the caller's tenant. */
@Path("/v1/evaluations")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "evaluations", description = "Batch evaluations of adapters (and head-only baselines) on a suite")
@SecurityRequirement(name = "bearer")
public class EvaluationsResource {

    static final String SERVICE = "job-scheduler";
    static final String CSV = "text/csv";
    private static final int MAX_ITEMS = 100;
    private static final Set<String> FIELDS = Set.of("suite", "adapters", "jobs", "adapter_filter", "baselines",
            "metadata");

    @Schema(name = "CreateEvaluationRequest", description = "Subjects: the union of adapters, the adapters of jobs and"
            + " those of the succeeded jobs whose metadata contains adapter_filter.metadata; at most 100 items")
    public record CreateEvaluation(@Schema(required = true, examples = "sentiment-en") String suite,
                                   List<String> adapters, List<String> jobs, Map<String, Object> adapterFilter,
                                   @Schema(examples = "[\"head_only\"]") List<String> baselines,
                                   Map<String, String> metadata) {
    }

    @Schema(name = "Evaluation")
    public record Evaluation(String id, String object, String status, Map<String, Object> suite,
                             List<String> baselines, long createdAt, Long finishedAt, Map<String, String> metadata,
                             Map<String, Integer> counts, List<Map<String, Object>> items) {
    }

    @Schema(name = "EvaluationList")
    public record EvaluationList(String object, List<Evaluation> data, boolean hasMore) {
    }

    @Schema(name = "EvaluationResult")
    public record Result(String object, String evaluationId, String itemId, String adapterId, String subject,
                         String subjectSha256, String suiteId, int suiteVersion, String task, String status,
                         Map<String, Double> metrics, int examples, double examplesPerSecond, long storedBytes,
                         long trainableParameters, long storedParameters, String detail, long createdAt) {
    }

    @Schema(name = "EvaluationResultList")
    public record ResultList(String object, List<Result> data, boolean hasMore) {
    }

    @Schema(name = "EvaluationReport")
    public record Report(String object, String evaluationId, Map<String, Object> suite, List<Map<String, Object>> tasks,
                         List<Map<String, Object>> rows) {
    }

    private final CurrentTenant tenant;
    private final EvaluationClient scheduler;
    private final QuotaGuard quotas;

    public EvaluationsResource(CurrentTenant tenant, @RestClient EvaluationClient scheduler, QuotaGuard quotas) {
        this.tenant = tenant;
        this.scheduler = scheduler;
        this.quotas = quotas;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Create a batch evaluation; all items or none are queued; a repeated Idempotency-Key returns the"
            + " first evaluation")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateEvaluation.class)))
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = Evaluation.class)))
    @APIResponse(responseCode = "404", description = "unknown suite, adapter or job (param names which)")
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
    @Operation(summary = "List evaluations (newest first); after and limit")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = EvaluationList.class)))
    public Response list(@Context UriInfo uri) {
        Map<String, String> query = Params.page(uri.getQueryParameters(), false);
        return Downstream.call(SERVICE, () -> scheduler.list(tenant.id(), query));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "An evaluation with its items, their progress and the aggregate status")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Evaluation.class)))
    public Response get(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.get(tenant.id(), id));
    }

    @POST
    @Path("{id}/cancel")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Cancel every item that has not finished")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Evaluation.class)))
    public Response cancel(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.cancel(tenant.id(), id));
    }

    @GET
    @Path("{id}/results")
    @Operation(summary = "The results of the evaluation's succeeded items, one per item and task")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = ResultList.class)))
    public Response results(@PathParam("id") String id) {
        Params.id("id", id);
        return Downstream.call(SERVICE, () -> scheduler.results(tenant.id(), id));
    }

    @GET
    @Path("{id}/report")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    @Operation(summary = "The comparison of adapters and baselines across the suite's tasks (JSON, or CSV with"
            + " format=csv or Accept: text/csv)")
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Report.class)),
            @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING))})
    public Response report(@PathParam("id") String id,
                           @Parameter(schema = @Schema(type = SchemaType.STRING, enumeration = {"json", "csv"}))
                           @RestQuery("format") String format, @HeaderParam("Accept") String accept,
                           @Context UriInfo uri) {
        Params.id("id", id);
        Params.page(uri.getQueryParameters(), false, Set.of("format"));
        if (format != null && !format.equals("json") && !format.equals("csv")) {
            throw Invalid.of("format", "format must be json or csv");
        }
        boolean csv = "csv".equals(format) || format == null && accept != null && accept.contains(CSV)
                && !accept.contains(MediaType.APPLICATION_JSON);
        return Downstream.call(SERVICE, () -> scheduler.report(tenant.id(), id, csv ? "csv" : "json"));
    }

    /** Field names, basic types and the batch size; the scheduler resolves suites, adapters and jobs. */
    static void checkShape(JsonNode body) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                String shown = name.length() > 64 ? name.substring(0, 64) : name;
                throw Invalid.of(shown, "unknown field '" + shown + "'");
            }
        }
        JsonNode suite = body.get("suite");
        if (suite == null || suite.isNull()) {
            throw Invalid.of("suite", "suite is required: a suite name, name@version or suite id");
        }
        if (!suite.isTextual() || suite.asText().isEmpty() || suite.asText().length() > 128) {
            throw Invalid.of("suite", "suite must be a suite name, name@version or suite id");
        }
        int adapters = ids(body, "adapters");
        int jobs = ids(body, "jobs");
        JsonNode filter = body.get("adapter_filter");
        boolean filtered = filter != null && !filter.isNull();
        if (filtered && (!filter.isObject() || !filter.path("metadata").isObject())) {
            throw Invalid.of("adapter_filter", "adapter_filter must be an object like {\"metadata\": {..}}");
        }
        if (adapters + jobs == 0 && !filtered) {
            throw Invalid.of("adapters", "name at least one adapter: adapters, jobs or adapter_filter");
        }
        JsonNode baselines = body.get("baselines");
        int subjects = 1;
        if (baselines != null && !baselines.isNull()) {
            if (!baselines.isArray()) {
                throw Invalid.of("baselines", "baselines must be [] or [\"head_only\"]");
            }
            for (int i = 0; i < baselines.size(); i++) {
                if (!"head_only".equals(baselines.get(i).asText(null)) || !baselines.get(i).isTextual()) {
                    throw Invalid.of("baselines[" + i + "]", "the only baseline is head_only");
                }
            }
            subjects += Math.min(1, baselines.size());
        }
        if (adapters * subjects > MAX_ITEMS) {
            throw Invalid.of("adapters", "at most " + MAX_ITEMS + " items (adapters x subjects) per evaluation");
        }
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw Invalid.of("metadata", "metadata must be an object of string values");
        }
    }

    private static int ids(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isArray() || v.size() > MAX_ITEMS) {
            throw Invalid.of(field, field + " must be an array of at most " + MAX_ITEMS + " ids");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw Invalid.of(field + "[" + i + "]", "ids are strings");
            }
            Params.id(field + "[" + i + "]", v.get(i).asText());
        }
        return v.size();
    }
}
