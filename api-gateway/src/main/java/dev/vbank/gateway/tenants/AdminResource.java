package dev.vbank.gateway.tenants;

import dev.vbank.gateway.api.Bodies;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.rest.ApiException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.regex.Pattern;

/** Tenant administration, guarded by the admin token ({@code AuthFilter}). */
@Path("/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "admin", description = "Tenants and API keys (admin token)")
@SecurityRequirement(name = "admin")
public class AdminResource {

    @Schema(name = "TenantQuotas", description = "Per-tenant overrides; absent or null means the configured default")
    public record QuotasBody(Integer maxQueuedJobs, Integer maxRunningJobs, Long maxStoredBytes, Double requestsPerSecond,
                             Integer burst) {
        Tenant.Quotas validated() {
            range("quotas.max_queued_jobs", maxQueuedJobs, 0, 1_000_000);
            range("quotas.max_running_jobs", maxRunningJobs, 0, 100_000);
            range("quotas.max_stored_bytes", maxStoredBytes, 0, 1L << 50);
            if (requestsPerSecond != null && (!Double.isFinite(requestsPerSecond) || requestsPerSecond <= 0
                    || requestsPerSecond > 100_000)) {
                throw Invalid.of("quotas.requests_per_second", "requests_per_second must be in (0, 100000]");
            }
            range("quotas.burst", burst, 1, 1_000_000);
            return new Tenant.Quotas(maxQueuedJobs, maxRunningJobs, maxStoredBytes, requestsPerSecond, burst);
        }

        private static void range(String param, Number v, long min, long max) {
            if (v != null && (v.longValue() < min || v.longValue() > max)) {
                throw Invalid.of(param, param + " must be from " + min + " to " + max + ", was " + v);
            }
        }
    }

    @Schema(name = "CreateTenantRequest")
    public record CreateTenantRequest(@Schema(required = true, maxLength = 200) String name, QuotasBody quotas) {
    }

    @Schema(name = "Tenant")
    public record TenantView(String id, String object, String name, long createdAt, QuotasBody quotas) {
        static TenantView of(Tenant t) {
            Tenant.Quotas q = t.overrides();
            return new TenantView(t.id(), "tenant", t.name(), t.createdAt().getEpochSecond(), new QuotasBody(
                    q.maxQueuedJobs(), q.maxRunningJobs(), q.maxStoredBytes(), q.requestsPerSecond(), q.burst()));
        }
    }

    @Schema(name = "ApiKey", description = "The key text is shown only in this answer; the platform keeps its sha256")
    public record KeyView(String id, String object, String tenantId, String key) {
    }

    @Schema(name = "CreatedTenant")
    public record CreatedTenant(String id, String object, String name, long createdAt, QuotasBody quotas, KeyView apiKey) {
    }

    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private final TenantStore store;

    public AdminResource(TenantStore store) {
        this.store = store;
    }

    @POST
    @Operation(summary = "Create a tenant and its first API key")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateTenantRequest.class)))
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = CreatedTenant.class)))
    public Response create(byte[] body) {
        CreateTenantRequest request = Bodies.read(body, CreateTenantRequest.class);
        String name = request.name();
        if (name == null) {
            throw Invalid.of("name", "name is required");
        }
        if (name.isBlank() || name.length() > 200 || name.chars().anyMatch(Character::isISOControl)) {
            throw Invalid.of("name", "name must be 1 to 200 characters without control characters");
        }
        Tenant.Quotas quotas = request.quotas() == null ? Tenant.Quotas.NONE : request.quotas().validated();
        String key = ApiKeys.newKey();
        TenantStore.Created created = store.create(name.strip(), quotas, ApiKeys.sha256(key));
        TenantView t = TenantView.of(created.tenant());
        return Response.status(201).entity(new CreatedTenant(t.id(), t.object(), t.name(), t.createdAt(), t.quotas(),
                new KeyView(created.keyId(), "api_key", t.id(), key))).build();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A tenant and its quota overrides")
    public TenantView get(@PathParam("id") String id) {
        return TenantView.of(store.find(checkId(id)).orElseThrow(() -> notFound(id)));
    }

    @PUT
    @Path("{id}/quotas")
    @Operation(summary = "Replace a tenant's quota overrides")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = QuotasBody.class)))
    public TenantView quotas(@PathParam("id") String id, byte[] body) {
        checkId(id);
        Tenant.Quotas quotas = Bodies.read(body, QuotasBody.class).validated();
        return TenantView.of(store.updateQuotas(id, quotas).orElseThrow(() -> notFound(id)));
    }

    @POST
    @Path("{id}/keys")
    @Operation(summary = "Create another API key for a tenant")
    @APIResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = KeyView.class)))
    public Response addKey(@PathParam("id") String id) {
        checkId(id);
        String key = ApiKeys.newKey();
        String keyId = store.addKey(id, ApiKeys.sha256(key)).orElseThrow(() -> notFound(id));
        return Response.status(201).entity(new KeyView(keyId, "api_key", id, key)).build();
    }

    @DELETE
    @Path("{id}/keys/{keyId}")
    @Operation(summary = "Revoke an API key")
    @APIResponse(responseCode = "204")
    public Response revoke(@PathParam("id") String id, @PathParam("keyId") String keyId) {
        checkId(id);
        if (!ID.matcher(keyId).matches() || !store.revokeKey(id, keyId)) {
            throw new NotFound("not_found", "no key " + keyId + " for tenant " + id, "key_id");
        }
        return Response.noContent().build();
    }

    private static String checkId(String id) {
        if (!ID.matcher(id).matches()) {
            throw Invalid.of("id", "tenant ids are 1 to 64 characters of a-z, A-Z, 0-9, _ and -");
        }
        return id;
    }

    private static NotFound notFound(String id) {
        return new NotFound("tenant_not_found", "no tenant " + id, "id");
    }
}
