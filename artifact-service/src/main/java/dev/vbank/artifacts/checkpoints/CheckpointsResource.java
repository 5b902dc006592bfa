package dev.vbank.artifacts.checkpoints;

import dev.vbank.artifacts.api.Downloads;
import dev.vbank.artifacts.domain.ListPage;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestPath;

import java.io.InputStream;

@Path("/internal/tenants/{tenant}/checkpoints/{job}")
@Produces(MediaType.APPLICATION_JSON)
public class CheckpointsResource {

    private final CheckpointService checkpoints;
    private final ObjectStore store;

    public CheckpointsResource(CheckpointService checkpoints, ObjectStore store) {
        this.checkpoints = checkpoints;
        this.store = store;
    }

    @PUT
    @Path("/{step}")
    @Consumes(MediaType.WILDCARD)
    public Response put(@RestPath String tenant, @RestPath String job, @RestPath String step,
                        @HeaderParam("Content-Length") Long contentLength, InputStream body) {
        CheckpointObject c = checkpoints.put(tenant, job, step(step), contentLength == null ? -1 : contentLength, body);
        return Response.status(201).entity(c).build();
    }

    @GET
    public ListPage<CheckpointObject> list(@RestPath String tenant, @RestPath String job) {
        return checkpoints.list(tenant, job);
    }

    @GET
    @Path("/{step}")
    public CheckpointObject get(@RestPath String tenant, @RestPath String job, @RestPath String step) {
        return find(tenant, job, step);
    }

    @GET
    @Path("/{step}/content")
    @Produces({"application/zip", MediaType.APPLICATION_JSON})
    public Response content(@RestPath String tenant, @RestPath String job, @RestPath String step) {
        CheckpointObject c = find(tenant, job, step);
        return Downloads.of(store.fetchVerified(c.objectKey(), c.sha256()), "application/zip",
                job + "-step-" + c.step() + ".zip");
    }

    private CheckpointObject find(String tenant, String job, String step) {
        long s = step(step);
        return checkpoints.find(tenant, job, s).orElseThrow(() -> new NotFound("checkpoint_not_found",
                "no checkpoint of job " + job + " at step " + s, "step"));
    }

    private static long step(String step) {
        try {
            long s = Long.parseLong(step);
            if (s >= 0) {
                return s;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Invalid.of("step", "step must be a non-negative integer");
    }
}
