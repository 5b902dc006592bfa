package dev.vbank.artifacts.banks;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.vbank.artifacts.api.Downloads;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestPath;

import java.util.List;
import java.util.Map;

/** A tenant's view of published vector banks: its own and the platform-wide ones. */
@Path("/internal/tenants/{tenant}/vector_banks")
@Produces(MediaType.APPLICATION_JSON)
public class VectorBanksResource {

    /** Body of a publish: the adapter whose bank to publish, an optional name. */
    public record PublishRequest(@JsonProperty("from_adapter") String fromAdapter, String name) {
    }

    private final VectorBankService banks;

    public VectorBanksResource(VectorBankService banks) {
        this.banks = banks;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response publish(@RestPath String tenant, PublishRequest body) {
        if (body == null) {
            throw Invalid.of("from_adapter", "body must be {\"from_adapter\": \"adapter-…\", \"name\"?}");
        }
        VectorBankService.Published p = banks.publish(tenant, tenant, body.fromAdapter(), body.name());
        return Response.status(p.created() ? 201 : 200).entity(p.bank()).build();
    }

    @GET
    public Map<String, Object> list(@RestPath String tenant) {
        List<VectorBankObject> data = banks.list(tenant);
        return Map.of("object", "list", "data", data, "has_more", false);
    }

    @GET
    @Path("/{id}")
    public VectorBankObject get(@RestPath String tenant, @RestPath String id) {
        return banks.get(tenant, id);
    }

    @GET
    @Path("/{id}/usage")
    public VectorBankService.Usage usage(@RestPath String tenant, @RestPath String id) {
        return banks.usage(tenant, id);
    }

    @GET
    @Path("/{id}/content")
    @Produces({MediaType.APPLICATION_OCTET_STREAM, MediaType.APPLICATION_JSON})
    public Response content(@RestPath String tenant, @RestPath String id) {
        return Downloads.of(banks.content(tenant, id), MediaType.APPLICATION_OCTET_STREAM, id + ".safetensors");
    }

    @DELETE
    @Path("/{id}")
    public Map<String, Object> delete(@RestPath String tenant, @RestPath String id) {
        banks.delete(tenant, id);
        return Map.of("id", id, "object", "vector_bank", "deleted", true);
    }
}
