package dev.vbank.gateway.downstream;

import dev.vbank.common.job.JobLimitHeaders;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestQuery;

import java.util.Map;

/** The job-scheduler's internal evaluation API: suites, evaluations, results (answers are passed through). */
@RegisterRestClient(configKey = "scheduler")
@Path("/internal/tenants/{tenant}")
@Produces(MediaType.APPLICATION_JSON)
public interface EvaluationClient {

    @GET
    @Path("evaluation_suites")
    Response suites(@PathParam("tenant") String tenant, @RestQuery Map<String, String> query);

    @POST
    @Path("evaluation_suites")
    @Consumes(MediaType.APPLICATION_JSON)
    Response createSuite(@PathParam("tenant") String tenant, byte[] body);

    @GET
    @Path("evaluation_suites/{id}")
    Response suite(@PathParam("tenant") String tenant, @PathParam("id") String id);

    /** Admitted under the tenant's job limits like a fine-tuning job ({@link SchedulerClient#create}). */
    @POST
    @Path("evaluations")
    @Consumes(MediaType.APPLICATION_JSON)
    Response create(@PathParam("tenant") String tenant, @HeaderParam("Idempotency-Key") String idempotencyKey,
                    @HeaderParam(JobLimitHeaders.MAX_QUEUED_JOBS) int maxQueuedJobs,
                    @HeaderParam(JobLimitHeaders.MAX_RUNNING_JOBS) int maxRunningJobs, byte[] body);

    @GET
    @Path("evaluations")
    Response list(@PathParam("tenant") String tenant, @RestQuery Map<String, String> query);

    @GET
    @Path("evaluations/{id}")
    Response get(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @POST
    @Path("evaluations/{id}/cancel")
    Response cancel(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("evaluations/{id}/results")
    Response results(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("evaluations/{id}/report")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    Response report(@PathParam("tenant") String tenant, @PathParam("id") String id, @RestQuery("format") String format);

    @GET
    @Path("adapters/{id}/evaluation_results")
    Response adapterResults(@PathParam("tenant") String tenant, @PathParam("id") String adapterId);
}
