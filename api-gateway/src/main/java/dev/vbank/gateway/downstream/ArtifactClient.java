package dev.vbank.gateway.downstream;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestQuery;

import java.util.Map;

/** The artifact-service's internal JSON API; byte streams go through {@link ArtifactStreams}. */
@RegisterRestClient(configKey = "artifacts")
@Path("/internal")
@Produces(MediaType.APPLICATION_JSON)
public interface ArtifactClient {

    @GET
    @Path("tenants/{tenant}/files")
    Response files(@PathParam("tenant") String tenant, @RestQuery Map<String, String> query);

    @GET
    @Path("tenants/{tenant}/files/{id}")
    Response file(@PathParam("tenant") String tenant, @PathParam("id") String id);

    @DELETE
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
}
