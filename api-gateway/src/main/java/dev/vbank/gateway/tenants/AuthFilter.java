package dev.vbank.gateway.tenants;

import dev.vbank.gateway.GatewayConfig;
import dev.vbank.service.rest.ApiException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** {@code /v1/*} needs a tenant key, {@code /admin/*} the admin token; each tenant's requests pass its rate limit. */
public class AuthFilter {

    private final TenantStore store;
    private final CurrentTenant current;
    private final RateLimiter limiter;
    private final GatewayConfig config;

    public AuthFilter(TenantStore store, CurrentTenant current, RateLimiter limiter, GatewayConfig config) {
        this.store = store;
        this.current = current;
        this.limiter = limiter;
        this.config = config;
    }

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public void authenticate(ContainerRequestContext ctx) {
        String path = ctx.getUriInfo().getPath();
        if (path.startsWith("/admin/") || path.equals("/admin")) {
            String token = bearer(ctx);
            String expected = config.adminToken().filter(t -> !t.isBlank()).orElse(null);
            if (expected == null || token == null || !MessageDigest.isEqual(
                    expected.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
                throw unauthorized("a valid admin token is required (Authorization: Bearer <VBANK_ADMIN_TOKEN>)");
            }
        } else if (path.startsWith("/v1/") || path.equals("/v1")) {
            String key = bearer(ctx);
            if (key == null) {
                throw unauthorized("an API key is required (Authorization: Bearer vbk_...)");
            }
            Tenant tenant = ApiKeys.wellFormed(key) ? store.findByKey(ApiKeys.sha256(key)).orElse(null) : null;
            if (tenant == null) {
                throw unauthorized("the API key is not valid");
            }
            current.set(tenant);
            long wait = limiter.acquire(tenant);
            if (wait > 0) {
                throw new ApiException(429, "rate_limit_exceeded", "too many requests; retry after " + wait + " s",
                        null, wait);
            }
        }
    }

    private static String bearer(ContainerRequestContext ctx) {
        String h = ctx.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = h.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static ApiException unauthorized(String message) {
        return new ApiException(401, "unauthorized", message, "Authorization");
    }
}
