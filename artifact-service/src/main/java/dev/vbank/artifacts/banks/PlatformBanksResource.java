package dev.vbank.artifacts.banks;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestPath;

import java.util.Map;

/**
 * Platform-wide banks (the gateway's admin API, deploy's {@code seed-bank}): published from an adapter of any tenant,
 * visible to every tenant, read-only for them.
 */
@Path("/internal/vector_banks")
@Produces(MediaType.APPLICATION_JSON)
public class PlatformBanksResource {

    /** The adapter ({@code tenant}'s) whose bank becomes platform-wide, an optional name. */
    public record SeedRequest(String tenant, @JsonProperty("from_adapter") String fromAdapter, String name) {
    }

    private final VectorBankService banks;

    public PlatformBanksResource(VectorBankService banks) {
        this.banks = banks;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response seed(SeedRequest body) {
        if (body == null || body.tenant() == null || body.tenant().isBlank()) {
            throw Invalid.of("tenant", "body must be {\"tenant\", \"from_adapter\", \"name\"?}: the tenant owning the adapter");
        }
        VectorBankService.Published p = banks.publish(null, body.tenant(), body.fromAdapter(), body.name());
        return Response.status(p.created() ? 201 : 200).entity(p.bank()).build();
    }

    @DELETE
    @Path("/{id}")
    public Map<String, Object> delete(@RestPath String id) {
        banks.delete(null, id);
        return Map.of("id", id, "object", "vector_bank", "deleted", true);
    }
}
