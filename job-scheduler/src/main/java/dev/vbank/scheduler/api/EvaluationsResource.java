package dev.vbank.scheduler.api;

import dev.vbank.scheduler.eval.EvaluationErrors;
import dev.vbank.scheduler.eval.EvaluationRequestParser;
import dev.vbank.scheduler.eval.EvaluationService;
import dev.vbank.scheduler.eval.EvaluationStore;
import dev.vbank.scheduler.eval.EvaluationViews;
import dev.vbank.scheduler.jobs.JobQuota;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
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
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Batch evaluations (internal API, tenant in the path); the gateway relays these answers as they are. */
@Path("/internal/tenants/{tenant}")
@Produces(MediaType.APPLICATION_JSON)
public class EvaluationsResource {

    static final String CSV = "text/csv";

    private final EvaluationService service;
    private final EvaluationStore store;
    private final EvaluationViews views;
    private final Db db;

    public EvaluationsResource(EvaluationService service, EvaluationStore store, EvaluationViews views, Db db) {
        this.service = service;
        this.store = store;
        this.views = views;
        this.db = db;
    }

    @POST
    @Path("evaluations")
    @Consumes(MediaType.WILDCARD)
    public Response create(@PathParam("tenant") String tenant, @HeaderParam("Idempotency-Key") String idempotencyKey,
                           @HeaderParam(JobQuota.MAX_QUEUED_HEADER) String maxQueued,
                           @HeaderParam(JobQuota.MAX_RUNNING_HEADER) String maxRunning, String body) {
        JobsResource.checkTenant(tenant);
        if (idempotencyKey != null && !JobsResource.IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
            throw Invalid.of("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
        JobQuota.Limits limits = JobQuota.Limits.of(maxQueued, maxRunning);
        EvaluationService.Created created = service.create(tenant, EvaluationRequestParser.parseEvaluation(body),
                idempotencyKey, limits);
        EvaluationViews.EvaluationObject object = db.tx(c -> views.evaluation(c, created.evaluation()));
        return Response.status(created.replayed() ? 200 : 201).entity(object)
                .header("Idempotent-Replayed", String.valueOf(created.replayed())).build();
    }

    @GET
    @Path("evaluations")
    public JobsResource.ListPage<EvaluationViews.EvaluationObject> list(@PathParam("tenant") String tenant,
                                                                        @Context UriInfo uri) {
        JobsResource.checkTenant(tenant);
        MultivaluedMap<String, String> query = uri.getQueryParameters();
        for (String name : query.keySet()) {
            if (!Set.of("after", "limit").contains(name)) {
                throw Invalid.of(name, "unknown query parameter '" + name + "'");
            }
        }
        String after = JobsResource.single(query, "after");
        int limit = JobsResource.limit(query);
        return db.tx(c -> {
            if (after != null && store.evaluation(c, tenant, after).isEmpty()) {
                throw Invalid.of("after", "no evaluation " + after);
            }
            JobStore.Page<EvaluationStore.EvaluationRow> page = store.evaluations(c, tenant, after, limit);
            List<EvaluationViews.EvaluationObject> data = new ArrayList<>();
            for (EvaluationStore.EvaluationRow e : page.data()) {
                data.add(views.evaluation(c, e));
            }
            return JobsResource.ListPage.of(data, page.hasMore());
        });
    }

    @GET
    @Path("evaluations/{id}")
    public EvaluationViews.EvaluationObject get(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        JobsResource.checkTenant(tenant);
        return db.tx(c -> views.evaluation(c, find(c, tenant, id)));
    }

    @POST
    @Path("evaluations/{id}/cancel")
    @Consumes(MediaType.WILDCARD)
    public EvaluationViews.EvaluationObject cancel(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        JobsResource.checkTenant(tenant);
        EvaluationStore.EvaluationRow e = service.cancel(tenant, id);
        return db.tx(c -> views.evaluation(c, e));
    }

    @GET
    @Path("evaluations/{id}/results")
    public JobsResource.ListPage<EvaluationViews.ResultObject> results(@PathParam("tenant") String tenant,
                                                                       @PathParam("id") String id) {
        JobsResource.checkTenant(tenant);
        return JobsResource.ListPage.of(db.tx(c -> views.results(c, find(c, tenant, id))), false);
    }

    @GET
    @Path("evaluations/{id}/report")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    public Response report(@PathParam("tenant") String tenant, @PathParam("id") String id,
                           @HeaderParam("Accept") String accept, @Context UriInfo uri) {
        JobsResource.checkTenant(tenant);
        MultivaluedMap<String, String> query = uri.getQueryParameters();
        for (String name : query.keySet()) {
            if (!name.equals("format")) {
                throw Invalid.of(name, "unknown query parameter '" + name + "'");
            }
        }
        String format = JobsResource.single(query, "format");
        if (format != null && !format.equals("json") && !format.equals("csv")) {
            throw Invalid.of("format", "format must be json or csv");
        }
        boolean csv = "csv".equals(format) || format == null && accept != null && accept.contains(CSV)
                && !accept.contains(MediaType.APPLICATION_JSON);
        EvaluationViews.Report report = db.tx(c -> views.report(c, find(c, tenant, id)));
        if (csv) {
            return Response.ok(EvaluationViews.csv(report), CSV + "; charset=utf-8")
                    .header("Content-Disposition", "attachment; filename=\"" + id + ".csv\"").build();
        }
        return Response.ok(report, MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("adapters/{adapterId}/evaluation_results")
    public JobsResource.ListPage<EvaluationViews.ResultObject> adapterResults(@PathParam("tenant") String tenant,
                                                                              @PathParam("adapterId") String adapterId) {
        JobsResource.checkTenant(tenant);
        return JobsResource.ListPage.of(db.tx(c -> views.adapterResults(c, tenant, adapterId)), false);
    }

    private EvaluationStore.EvaluationRow find(java.sql.Connection c, String tenant, String id)
            throws java.sql.SQLException {
        return store.evaluation(c, tenant, id).orElseThrow(() -> EvaluationErrors.evaluationNotFound(id));
    }
}
