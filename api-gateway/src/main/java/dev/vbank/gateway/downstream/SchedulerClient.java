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

/** The job-scheduler's internal job API (answers are passed through as they come). */
@RegisterRestClient(configKey = "scheduler")
@Path("/internal/tenants/{tenant}/jobs")
@Produces(MediaType.APPLICATION_JSON)
public interface SchedulerClient {

    /** The scheduler admits the job under the tenant's limits, sent as the two headers (429 quota_exceeded). */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    Response create(@PathParam("tenant") String tenant, @HeaderParam("Idempotency-Key") String idempotencyKey,
                    @HeaderParam(JobLimitHeaders.MAX_QUEUED_JOBS) int maxQueuedJobs, @HeaderParam(JobLimitHeaders.MAX_RUNNING_JOBS) int maxRunningJobs,
                    byte[] body);

    @GET
    Response list(@PathParam("tenant") String tenant, @RestQuery Map<String, String> query);

    @GET
    @Path("{id}")
    Response get(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @POST
    @Path("{id}/cancel")
    Response cancel(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("{id}/events")
    Response events(@PathParam("tenant") String tenant, @PathParam("id") String id,
                    @RestQuery Map<String, String> query);

    @GET
    @Path("{id}/checkpoints")
    Response checkpoints(@PathParam("tenant") String tenant, @PathParam("id") String id);
}
