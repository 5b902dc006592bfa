package dev.vbank.gateway.tenants;

import dev.vbank.gateway.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per tenant, in memory (per gateway instance). */
@ApplicationScoped
public class RateLimiter {

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }
    }

    private final GatewayConfig.RateLimit defaults;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        this.defaults = config.rateLimit();
    }

    /** 0 when the request may go ahead, else the whole seconds until a token is available. */
    public long acquire(Tenant tenant) {
        double rate = tenant.overrides().requestsPerSecond() != null ? tenant.overrides().requestsPerSecond()
                : defaults.perSecond();
        int burst = tenant.overrides().burst() != null ? tenant.overrides().burst() : defaults.burst();
        long now = System.nanoTime();
        Bucket b = buckets.computeIfAbsent(tenant.id(), id -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) / 1e9 * rate);
            b.last = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - b.tokens) / rate));
        }
    }
}
