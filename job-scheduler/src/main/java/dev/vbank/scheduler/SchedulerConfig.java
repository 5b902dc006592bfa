package dev.vbank.scheduler;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "vbank.scheduler")
public interface SchedulerConfig {

    /** Worker slots in the cluster: at most this many jobs are running (or cancelling) at once. */
    @WithDefault("4")
    int maxRunning();

    /** At most this many running jobs per tenant, so that one tenant cannot take every slot. */
    @WithDefault("2")
    int tenantMaxRunning();

    /** How long a dispatched attempt may go without a heartbeat before the reaper takes the job back. */
    @WithDefault("60s")
    Duration lease();

    @WithDefault("3")
    int maxAttempts();

    /** Runs the dispatcher, validator, reaper and outbox publisher on timers; tests switch this off and call them. */
    @WithDefault("true")
    boolean loopsEnabled();

    /** Consumes worker events from Kafka. */
    @WithDefault("true")
    boolean consumeEvents();

    @WithDefault("1s")
    Duration dispatchInterval();

    @WithDefault("2s")
    Duration validateInterval();

    @WithDefault("5s")
    Duration reapInterval();

    @WithDefault("200ms")
    Duration publishInterval();

    /** A job whose files are still not processed after this long fails with invalid_file. */
    @WithDefault("10m")
    Duration fileValidationTimeout();

    @WithDefault("100")
    int batchSize();

    Kafka kafka();

    interface Kafka {
        @WithDefault("job-scheduler")
        String groupId();

        @WithDefault("10s")
        Duration sendTimeout();

        /** Kafka session timeout of the event consumer: how soon a dead scheduler's partitions pass to another. */
        @WithDefault("15s")
        Duration sessionTimeout();
    }
}
