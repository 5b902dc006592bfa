package dev.vbank.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "vbank")
public interface GatewayConfig {

    /** The token of {@code /admin/*} ({@code VBANK_ADMIN_TOKEN}); without one the admin API refuses every call. */
    Optional<String> adminToken();

    Downstream scheduler();

    Downstream artifacts();

    Downstream inference();

    Files files();

    Quotas quotas();

    RateLimit rateLimit();

    Sse sse();

    Auth auth();

    interface Auth {
        /**
         * How long this gateway trusts a key it has looked up; a key revoked (or quotas changed) through another gateway
         * instance take this long to apply here, through this one at once.
         */
        @WithDefault("5s")
        Duration keyCacheTtl();
    }

    interface Downstream {
        String url();
    }

    interface Files {
        /** Largest upload the gateway accepts, in bytes. */
        @WithDefault("536870912")
        long maxBytes();
    }

    /** Defaults for tenants without an override in {@code gateway.tenants}. */
    interface Quotas {
        @WithDefault("20")
        int maxQueuedJobs();

        @WithDefault("4")
        int maxRunningJobs();

        @WithDefault("10737418240")
        long maxStoredBytes();
    }

    interface RateLimit {
        /** Sustained requests per second per tenant. */
        @WithDefault("20")
        double perSecond();

        /** Requests a tenant may make at once after being idle. */
        @WithDefault("40")
        int burst();
    }

    interface Sse {
        @WithDefault("200ms")
        Duration pollInterval();

        /** How often an idle stream asks whether its job already finished (e.g. resumed after the last event). */
        @WithDefault("2s")
        Duration statusInterval();

        /** A stream with nothing to send writes an SSE comment this often, so clients and proxies can tell it is alive. */
        @WithDefault("15s")
        Duration keepAlive();
    }
}
