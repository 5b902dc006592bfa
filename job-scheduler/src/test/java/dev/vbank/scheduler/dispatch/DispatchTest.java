package dev.vbank.scheduler.dispatch;

import dev.vbank.claim.ClaimQuery;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class DispatchTest {

    @Inject
    DataSource dataSource;
    @Inject
    Dispatcher dispatcher;
    @Inject
    OutboxPublisher publisher;
    @Inject
    SchedulerConfig config;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @BeforeEach
    void emptyTables() throws Exception {
        TestSupport.reset(dataSource);
    }

    @Test
    void aLightTenantIsNotStarvedByAHeavyOne() throws Exception {
        String heavy = TestSupport.tenant("heavy");
        String light = TestSupport.tenant("light");
        for (int i = 0; i < 50; i++) {
            // older than the light tenant's job: plain FIFO would run all 50 first
            TestSupport.insertJob(dataSource, heavy, JobStatus.QUEUED, 60_000 - i);
        }
        String lightJob = TestSupport.insertJob(dataSource, light, JobStatus.QUEUED, 0);

        List<JobRow> claimed = dispatcher.dispatchOnce();

        assertThat(claimed).hasSizeGreaterThanOrEqualTo(2);
        assertThat(claimed.subList(0, 2)).extracting(JobRow::id).contains(lightJob);
        // the per-tenant cap (2) leaves one of the 4 slots free although 49 heavy jobs wait
        assertThat(config.maxRunning()).isEqualTo(4);
        assertThat(config.tenantMaxRunning()).isEqualTo(2);
        assertThat(claimed).extracting(JobRow::tenantId).containsExactly(heavy, light, heavy);
        assertThat(claimed).allSatisfy(j -> {
            assertThat(j.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(j.leaseToken()).isNotBlank();
            assertThat(j.leaseExpiresAt()).isAfter(j.startedAt());
            assertThat(j.attempt()).isEqualTo(1);
        });
        assertThat(dispatcher.dispatchOnce()).as("the heavy tenant is at its cap").isEmpty();
    }

    @Test
    void fairShareFavoursTheTenantWithFewerRunningJobs() throws Exception {
        String busy = TestSupport.tenant("busy");
        String idle = TestSupport.tenant("idle");
        TestSupport.insertJob(dataSource, busy, JobStatus.RUNNING, 0);
        String busyQueued = TestSupport.insertJob(dataSource, busy, JobStatus.QUEUED, 10_000);
        String idleQueued = TestSupport.insertJob(dataSource, idle, JobStatus.QUEUED, 0);
        String idleSecond = TestSupport.insertJob(dataSource, idle, JobStatus.QUEUED, -1);

        List<JobRow> claimed = dispatcher.dispatchOnce();
        // shares: idle's first job would be its 1st running, busy's queued one its 2nd, idle's second its 2nd (older wins)
        assertThat(claimed).extracting(JobRow::id).containsExactly(idleQueued, busyQueued, idleSecond);
    }

    @Test
    void amongEqualSharesTheTenantServedLongestAgoGoesFirst() throws Exception {
        String served = TestSupport.tenant("served");
        String waiting = TestSupport.tenant("waiting");
        String first = TestSupport.insertJob(dataSource, served, JobStatus.QUEUED, 60_000);
        assertThat(dispatcher.dispatchOnce()).extracting(JobRow::id).containsExactly(first);
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement(
                "update scheduler.jobs set status = 'succeeded' where id = ?")) {
            ps.setString(1, first);
            ps.executeUpdate();
        }
        String servedOlder = TestSupport.insertJob(dataSource, served, JobStatus.QUEUED, 50_000);
        String waitingNewer = TestSupport.insertJob(dataSource, waiting, JobStatus.QUEUED, 10_000);

        // both would be their tenant's first running job; age alone would pick the served tenant's again
        assertThat(dispatcher.dispatchOnce()).extracting(JobRow::id).containsExactly(waitingNewer, servedOlder);
    }

    @Test
    void neverRunsMoreThanMaxRunning() throws Exception {
        Map<String, Integer> perTenant = new HashMap<>();
        for (int t = 0; t < 4; t++) {
            String tenant = TestSupport.tenant("cap" + t);
            for (int i = 0; i < 3; i++) {
                TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 1000 - t * 10 - i);
            }
        }
        List<JobRow> claimed = new ArrayList<>(dispatcher.dispatchOnce());
        claimed.addAll(dispatcher.dispatchOnce());
        assertThat(claimed).hasSize(config.maxRunning());
        claimed.forEach(j -> perTenant.merge(j.tenantId(), 1, Integer::sum));
        assertThat(perTenant).as("one job per tenant before anyone gets a second").hasSize(4);
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.jobs where status = 'running'"))
                .isEqualTo(4);

        // a cancelling job still holds its slot; a finished one frees it
        TestSupport.update(dataSource, "update scheduler.jobs set status = 'cancelling' where id = ?", claimed.get(0).id());
        assertThat(dispatcher.dispatchOnce()).isEmpty();
        TestSupport.update(dataSource, "update scheduler.jobs set status = 'succeeded' where id = ?", claimed.get(1).id());
        assertThat(dispatcher.dispatchOnce()).hasSize(1);
    }

    @Test
    void aRoundWaitsForTheRoundInProgressElsewhereAndCountsWhatThatOneClaimed() throws Exception {
        TestSupport.insertJob(dataSource, TestSupport.tenant("wait"), JobStatus.QUEUED, 0);
        TestSupport.insertJob(dataSource, TestSupport.tenant("wait"), JobStatus.QUEUED, 0);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (java.sql.Connection other = dataSource.getConnection()) {
            // another replica's round, in flight: it holds the dispatch lock and has claimed every slot, uncommitted
            other.setAutoCommit(false);
            try (var st = other.prepareStatement("select pg_advisory_xact_lock(?)")) {
                st.setLong(1, ClaimQuery.DISPATCH_LOCK);
                st.execute();
            }
            for (int i = 0; i < config.maxRunning(); i++) {
                TestSupport.insertJob(other, TestSupport.tenant("other"), JobStatus.RUNNING, 0);
            }
            java.util.concurrent.Future<List<JobRow>> round = pool.submit(dispatcher::dispatchOnce);
            Thread.sleep(700);
            assertThat(round.isDone()).as("the round waits for the lock").isFalse();
            other.commit();
            assertThat(round.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("no slot left after the other round")
                    .isEmpty();
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.jobs where status = 'queued'"))
                .isEqualTo(2);
    }

    @Test
    void concurrentDispatchRoundsStillNeverExceedMaxRunningOrClaimAJobTwice() throws Exception {
        for (int t = 0; t < 10; t++) {
            String tenant = TestSupport.tenant("race" + t);
            TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 100);
            TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<List<JobRow>>> rounds = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                rounds.add(pool.submit(() -> {
                    go.await();
                    return dispatcher.dispatchOnce();
                }));
            }
            go.countDown();
            List<String> claimed = new ArrayList<>();
            for (var round : rounds) {
                round.get(60, java.util.concurrent.TimeUnit.SECONDS).forEach(j -> claimed.add(j.id()));
            }
            assertThat(claimed).hasSize(config.maxRunning()).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.jobs where status = 'running'"))
                .isEqualTo(config.maxRunning());
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox")).isEqualTo(config.maxRunning());
    }

    @Test
    void theDispatchCommandReachesKafkaKeyedByJobIdAndIsResentAfterACrash() throws Exception {
        String tenant = TestSupport.tenant("outbox");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        try (KafkaConsumer<String, String> consumer = TestSupport.tail(bootstrap, Topics.JOB_DISPATCH)) {
            JobRow job = dispatcher.dispatchOnce().get(0);
            // written in the dispatch transaction, not yet sent
            assertThat(TestSupport.count(dataSource,
                    "select count(*) from scheduler.outbox where key = ? and topic = ? and published_at is null",
                    id, Topics.JOB_DISPATCH)).isEqualTo(1);

            assertThat(publisher.publishOnce()).isEqualTo(1);
            List<ConsumerRecord<String, String>> received = TestSupport.poll(consumer, 1, Duration.ofSeconds(20),
                    r -> r.key().equals(id));
            assertThat(received).hasSize(1);
            DispatchJob command = Json.mapper().readValue(received.get(0).value(), DispatchJob.class);
            assertThat(command.jobId()).isEqualTo(id);
            assertThat(command.tenantId()).isEqualTo(tenant);
            assertThat(command.attempt()).isEqualTo(1);
            assertThat(command.leaseToken()).isEqualTo(job.leaseToken());
            assertThat(command.leaseSeconds()).isEqualTo(config.lease().toSeconds());
            assertThat(command.model()).isEqualTo("all-minilm-l6-v2");
            assertThat(command.seed()).isEqualTo(42);
            assertThat(command.resumeCheckpoint()).isNull();
            assertThat(TestSupport.count(dataSource,
                    "select count(*) from scheduler.outbox where key = ? and published_at is not null", id)).isEqualTo(1);
            assertThat(publisher.publishOnce()).as("nothing left to send").isZero();

            // a crash after the send but before the mark committed: the row is unpublished again and goes out again
            TestSupport.update(dataSource, "update scheduler.outbox set published_at = null where key = ?", id);
            assertThat(publisher.publishOnce()).isEqualTo(1);
            List<ConsumerRecord<String, String>> again = TestSupport.poll(consumer, 1, Duration.ofSeconds(20),
                    r -> r.key().equals(id));
            assertThat(again).hasSize(1);
            assertThat(Json.mapper().readValue(again.get(0).value(), DispatchJob.class)).isEqualTo(command);
        }
    }

    @Test
    void aRolledBackDispatchLeavesNoOutboxRow() throws Exception {
        String tenant = TestSupport.tenant("rollback");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        // an outbox that refuses rows makes the dispatch transaction fail after its claim
        TestSupport.update(dataSource, "alter table scheduler.outbox add constraint no_rows check (false) not valid");
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(dispatcher::dispatchOnce).isNotNull();
        } finally {
            TestSupport.update(dataSource, "alter table scheduler.outbox drop constraint no_rows");
        }
        assertThat(TestSupport.scalar(dataSource, "select status from scheduler.jobs where id = ?", id)).isEqualTo("queued");
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox")).isZero();
        assertThat(dispatcher.dispatchOnce()).extracting(JobRow::id).containsExactly(id);
    }
}
