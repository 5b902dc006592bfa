package dev.vbank.gateway.downstream;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The inference-service's internal API: the request body passes through, the tenant comes from the key. */
@RegisterRestClient(configKey = "inference")
@Path("/internal/tenants/{tenant}")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public interface InferenceClient {

    @POST
    @Path("predictions")
    Response predictions(@PathParam("tenant") String tenant, JsonNode body);

    @POST
    @Path("embeddings")
    Response embeddings(@PathParam("tenant") String tenant, JsonNode body);
}
