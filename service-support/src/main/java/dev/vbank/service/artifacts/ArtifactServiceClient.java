package dev.vbank.service.artifacts;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestQuery;

import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * The artifact-service's internal JSON API (docs/ARCHITECTURE.md, "artifact-service internal contract"), as the gateway,
 * the scheduler and the workers call it. Answers come back as they are (every status; callers set
 * {@code microprofile.rest.client.disable.default.mapper=true}); a call that gets no answer (refused or dropped connection)
 * is tried again, and after many such failures the circuit opens for a while so callers fail fast. Byte streams (uploads,
 * downloads, checkpoint archives) are not here: the REST client buffers whole entities, so they stream over the JDK client.
 * The URL is {@code quarkus.rest-client.artifact-service.url}.
 */
@RegisterRestClient(configKey = "artifact-service")
@Path("/internal")
@Produces(MediaType.APPLICATION_JSON)
@Retry(maxRetries = 2, delay = 200, jitter = 100, retryOn = ProcessingException.class)
@Timeout(value = 30, unit = ChronoUnit.SECONDS)
@CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.8, delay = 5, delayUnit = ChronoUnit.SECONDS,
        failOn = ProcessingException.class)
public interface ArtifactServiceClient {

    @GET
    @Path("tenants/{tenant}/files")
    Response files(@PathParam("tenant") String tenant, @RestQuery Map<String, String> query);

    @GET
    @Path("tenants/{tenant}/files/{id}")
    Response file(@PathParam("tenant") String tenant, @PathParam("id") String id);

    /** Not tried again: a delete whose answer was lost may have happened, and a second one would answer 404. */
    @DELETE
    @Retry(maxRetries = 0)
    @Path("tenants/{tenant}/files/{id}")
    Response deleteFile(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("tenants/{tenant}/adapters/{id}")
    Response adapter(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("tenants/{tenant}/adapters/{id}/bank_usage")
    Response bankUsage(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @GET
    @Path("base-models")
    Response baseModels();

    /** Publishes an adapter's bank: {@code {"from_adapter", "name"?}}; the same content again answers the same bank. */
    @POST
    @Path("tenants/{tenant}/vector_banks")
    @Consumes(MediaType.APPLICATION_JSON)
    Response publishVectorBank(@PathParam("tenant") String tenant, Map<String, Object> body);

    @GET
    @Path("tenants/{tenant}/vector_banks")
    Response vectorBanks(@PathParam("tenant") String tenant);

    @GET
    @Path("tenants/{tenant}/vector_banks/{id}")
    Response vectorBank(@PathParam("tenant") String tenant, @PathParam("id") String id);

    /** The tenant's adapters that reference the bank and its vectors' selections summed over them. */
    @GET
    @Path("tenants/{tenant}/vector_banks/{id}/usage")
    Response vectorBankUsage(@PathParam("tenant") String tenant, @PathParam("id") String id);

    /** Not tried again (see {@link #deleteFile}). */
    @DELETE
    @Retry(maxRetries = 0)
    @Path("tenants/{tenant}/vector_banks/{id}")
    Response deleteVectorBank(@PathParam("tenant") String tenant, @PathParam("id") String id);

    /** A platform-wide bank from a tenant's adapter: {@code {"tenant", "from_adapter", "name"?}}. */
    @POST
    @Path("vector_banks")
    @Consumes(MediaType.APPLICATION_JSON)
    Response seedVectorBank(Map<String, Object> body);

    @DELETE
    @Retry(maxRetries = 0)
    @Path("vector_banks/{id}")
    Response deletePlatformVectorBank(@PathParam("id") String id);
}
