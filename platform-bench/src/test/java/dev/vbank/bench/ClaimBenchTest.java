package dev.vbank.bench;

import dev.vbank.testkit.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The claim benchmark, small, on a real PostgreSQL: the scheduler's claim serves every tenant once before any twice. */
class ClaimBenchTest {

    static PostgresServer postgres;

    @BeforeAll
    static void start() {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aHeavyTenantGetsNoMoreDispatchesThanAnyOtherAndTheClaimUsesTheQueuedIndex() throws Exception {
        ClaimBench.Settings settings = new ClaimBench.Settings(2_000, 100, 100, 4, 2, 0.5, 3);

        ClaimBench.Result r = ClaimBench.run(postgres.jdbcUrl(), postgres.username(), postgres.password(), settings);

        assertThat(r.dispatched()).isEqualTo(100);
        assertThat(r.claimMicros().getTotalCount()).isEqualTo(r.rounds());
        assertThat(r.tenantsServed()).isEqualTo(100);
        assertThat(r.heavyTenantDispatches()).isEqualTo(1);
        assertThat(r.fairnessRatio()).isEqualTo(1.0);
        assertThat(r.maxRunningSeenPerTenant()).isLessThanOrEqualTo(2);
        assertThat(r.plan()).contains("jobs_queued_idx").contains("tenant_queues_next_idx").doesNotContain("Seq Scan on jobs");
    }
}
