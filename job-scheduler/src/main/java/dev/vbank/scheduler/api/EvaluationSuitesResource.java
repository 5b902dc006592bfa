package dev.vbank.scheduler.api;

import dev.vbank.scheduler.eval.EvaluationRequestParser;
import dev.vbank.scheduler.eval.EvaluationService;
import dev.vbank.scheduler.eval.EvaluationStore;
import dev.vbank.scheduler.eval.EvaluationViews;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import java.util.List;
import java.util.Set;

/** Evaluation suites: the built-in ones and the tenant's own (internal API, tenant in the path). */
@Path("/internal/tenants/{tenant}/evaluation_suites")
@Produces(MediaType.APPLICATION_JSON)
public class EvaluationSuitesResource {

    private final EvaluationService service;
    private final EvaluationStore store;
    private final Db db;

    public EvaluationSuitesResource(EvaluationService service, EvaluationStore store, Db db) {
        this.service = service;
        this.store = store;
        this.db = db;
    }

    @GET
    public JobsResource.ListPage<EvaluationViews.SuiteObject> list(@PathParam("tenant") String tenant,
                                                                   @Context UriInfo uri) {
        JobsResource.checkTenant(tenant);
        MultivaluedMap<String, String> query = uri.getQueryParameters();
        for (String name : query.keySet()) {
            if (!Set.of("name", "after", "limit").contains(name)) {
                throw Invalid.of(name, "unknown query parameter '" + name + "'");
            }
        }
        String name = JobsResource.single(query, "name");
        String after = JobsResource.single(query, "after");
        int limit = JobsResource.limit(query);
        List<EvaluationStore.SuiteRow> all = db.tx(c -> store.suites(c, tenant, name));
        int from = 0;
        if (after != null) {
            from = indexOf(all, after) + 1;
            if (from == 0) {
                throw Invalid.of("after", "no suite " + after + " in this list");
            }
        }
        List<EvaluationStore.SuiteRow> page = all.subList(from, Math.min(all.size(), from + limit));
        return JobsResource.ListPage.of(page.stream().map(EvaluationViews.SuiteObject::of).toList(),
                from + limit < all.size());
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response create(@PathParam("tenant") String tenant, String body) {
        JobsResource.checkTenant(tenant);
        EvaluationStore.SuiteRow suite = service.createSuite(tenant, EvaluationRequestParser.parseSuite(body));
        return Response.status(201).entity(EvaluationViews.SuiteObject.of(suite)).build();
    }

    @GET
    @Path("{id}")
    public EvaluationViews.SuiteObject get(@PathParam("tenant") String tenant, @PathParam("id") String id) {
        JobsResource.checkTenant(tenant);
        return EvaluationViews.SuiteObject.of(db.tx(c -> store.suite(c, tenant, id))
                .orElseThrow(() -> new NotFound("suite_not_found", "no evaluation suite " + id, "id")));
    }

    private static int indexOf(List<EvaluationStore.SuiteRow> rows, String id) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }
}
