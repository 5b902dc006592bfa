package dev.vbank.worker;

import dev.vbank.common.command.CancelJob;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.command.WorkerEvent.Kind;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.kafka.Topics;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.worker.support.ArtifactStub;
import dev.vbank.worker.support.KafkaTestClient;
import dev.vbank.worker.support.KafkaTestClient.Received;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import javax.sql.DataSource;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.vbank.worker.support.KafkaTestClient.has;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The worker end to end on real Kafka and PostgreSQL, a real HTTP artifact endpoint ({@link ArtifactStub}), the real
 * all-MiniLM-L6-v2 encoder and 40 real sentences of the UCI Amazon reviews set (Kotzias et al. 2015): dispatch →
 * heartbeats, progress, checkpoints, adapter, SUCCEEDED; a resumed attempt continuing bit for bit; cancellation;
 * one job at a time; clear failures. Tests 1 and 2 share job A (2 resumes 1's checkpoint).
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = {
        @ResourceArg(name = "needs", value = "postgres,kafka"),
        @ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events,vbank.jobs.control")})
@WithTestResource(ArtifactStub.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerEndToEndTest {

    static final Duration TRAINING = Duration.ofMinutes(6);
    static final String MODEL = "all-minilm-l6-v2";

    static KafkaTestClient kafka;
    static String tenant;
    static String trainingFile;
    static String jobA;
    static DispatchJob jobA1;
    static Map<Long, Float> lossesA;

    @Inject
    DataSource dataSource;
    @Inject
    Worker worker;
    @Inject
    dev.vbank.worker.train.JobRunner runner;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @BeforeEach
    void setUp() throws Exception {
        if (kafka == null) {
            kafka = new KafkaTestClient(bootstrap);
            tenant = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
            try (InputStream in = getClass().getResourceAsStream("/uci-amazon-40.jsonl")) {
                trainingFile = ArtifactStub.putFile(tenant, "amazon.jsonl", in.readAllBytes());
            }
        }
    }

    @AfterAll
    static void close() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    /** 40 rows, batch 8, 2 epochs: 10 steps; checkpoints every 4 (test config). */
    static Map<String, Object> smallVblora(int epochs) {
        Map<String, Object> hp = new HashMap<>();
        hp.put("n_epochs", epochs);
        hp.put("batch_size", 8);
        hp.put("max_seq_length", 32);
        hp.put("num_vectors", 32);
        hp.put("vector_length", 128);
        hp.put("r", 4);
        hp.put("topk", 2);
        hp.put("lr_head", 0.01);
        hp.put("warmup_ratio", 0.0);
        return hp;
    }

    DispatchJob dispatch(String jobId, int attempt, Map<String, Object> hp, String file, String resumeKey) {
        DispatchJob job = new DispatchJob(jobId, tenant, attempt, UUID.randomUUID().toString(), 60, MODEL, file, null,
                new Method(MethodType.VBLORA, hp), 7, resumeKey);
        kafka.send(Topics.JOB_DISPATCH, jobId, job);
        return job;
    }

    static String newJobId() {
        return "ftjob-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    static boolean ended(List<WorkerEvent> events) {
        return events.stream().anyMatch(e -> e.kind() == Kind.SUCCEEDED || e.kind() == Kind.FAILED
                || e.kind() == Kind.CANCELLED);
    }

    static List<WorkerEvent> kind(List<Received> events, Kind kind) {
        return events.stream().map(Received::event).filter(e -> e.kind() == kind).toList();
    }

    static long step(WorkerEvent e) {
        return ((Number) e.event().data().get("step")).longValue();
    }

    static Map<Long, Float> losses(List<Received> events) {
        Map<Long, Float> out = new HashMap<>();
        for (WorkerEvent e : kind(events, Kind.PROGRESS)) {
            Object loss = e.event().data().get("train_loss");
            if (loss != null) {
                out.put(step(e), ((Number) loss).floatValue());
            }
        }
        return out;
    }

    @Test
    @Order(1)
    void trainsWithProgressHeartbeatsAndCheckpointsThenUploadsTheAdapter() throws Exception {
        jobA = newJobId();
        DispatchJob job = dispatch(jobA, 1, smallVblora(2), trainingFile, null);
        jobA1 = job;
        List<Received> events = kafka.await(jobA, WorkerEndToEndTest::ended, TRAINING);
        List<WorkerEvent> all = events.stream().map(Received::event).toList();

        assertThat(all).allSatisfy(e -> {
            assertThat(e.attempt()).isEqualTo(1);
            assertThat(e.leaseToken()).isEqualTo(job.leaseToken());
            assertThat(e.workerId()).isNotBlank();
        });
        assertThat(kind(events, Kind.FAILED)).as("failure events").isEmpty();
        assertThat(has(all, Kind.HEARTBEAT)).isTrue();
        List<String> ids = all.stream().filter(e -> e.kind() != Kind.HEARTBEAT).map(e -> e.event().id()).toList();
        assertThat(new HashSet<>(ids)).as("event ids are unique").hasSameSizeAs(ids);

        List<WorkerEvent> progress = kind(events, Kind.PROGRESS).stream()
                .filter(e -> e.event().data().containsKey("train_loss")).toList();
        assertThat(progress).extracting(WorkerEndToEndTest::step)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        for (WorkerEvent p : progress) {
            Map<String, Object> d = p.event().data();
            assertThat(((Number) d.get("total_steps")).longValue()).isEqualTo(10);
            assertThat(((Number) d.get("examples_per_second")).doubleValue()).isPositive();
            assertThat(((Number) d.get("eta_seconds")).doubleValue()).isGreaterThanOrEqualTo(0);
            assertThat(d.get("estimated_finish")).isInstanceOf(Number.class);
            @SuppressWarnings("unchecked")
            Map<String, Object> lrs = (Map<String, Object>) d.get("learning_rates");
            assertThat(lrs).containsOnlyKeys("vector_bank", "logits", "head");
            assertThat(((Number) lrs.get("head")).doubleValue()).isPositive().isLessThanOrEqualTo(0.01);
        }
        lossesA = losses(events);
        double first = (lossesA.get(1L) + lossesA.get(2L) + lossesA.get(3L)) / 3;
        double last = (lossesA.get(8L) + lossesA.get(9L) + lossesA.get(10L)) / 3;
        assertThat(last).as("mean loss of the last 3 steps vs the first 3: %s", lossesA).isLessThan(first);

        List<WorkerEvent> checkpoints = kind(events, Kind.CHECKPOINT_UPLOADED);
        assertThat(checkpoints).extracting(WorkerEndToEndTest::step).containsExactly(4L, 8L);
        assertThat(checkpoints.get(0).event().data())
                .containsEntry("object_key", "tenants/" + tenant + "/checkpoints/" + jobA + "/4")
                .containsKeys("bytes", "sha256");
        assertThat(ArtifactStub.hasCheckpoint(tenant, jobA, 8)).isTrue();

        WorkerEvent done = all.get(all.size() - 1);
        assertThat(done.kind()).isEqualTo(Kind.SUCCEEDED);
        ArtifactStub.StoredAdapter stored = ArtifactStub.adapterOf(tenant, jobA);
        assertThat(done.event().data()).containsEntry("adapter_id", stored.id());
        assertThat(((Number) done.event().data().get("step")).longValue()).isEqualTo(10);
        assertThat(stored.query()).containsEntry("base_model", MODEL).containsEntry("training_file", trainingFile)
                .containsEntry("method", "vblora");
        AdapterWeights adapter = CompactFormat.read(stored.bytes());
        assertThat(adapter.baseModelId()).isEqualTo(MODEL);
        assertThat(adapter.adaptedPaths()).isNotEmpty().allMatch(p -> p.endsWith("query") || p.endsWith("value"));

        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select status, step, adapter_id from worker.job_runs where job_id = ? and attempt = 1")) {
            ps.setString(1, jobA);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("status")).isEqualTo("succeeded");
                assertThat(rs.getLong("step")).isEqualTo(10);
                assertThat(rs.getString("adapter_id")).isEqualTo(stored.id());
            }
        }
    }

    @Test
    @Order(2)
    void aResumedAttemptContinuesFromTheCheckpointStepBitForBit() {
        assertThat(lossesA).as("needs the run of test 1").isNotNull();
        int downloadsBefore = ArtifactStub.calls("file_content");
        int checkpointGetsBefore = ArtifactStub.calls("checkpoint_get");

        dispatch(jobA, 2, smallVblora(2), trainingFile, "tenants/" + tenant + "/checkpoints/" + jobA + "/4");
        List<Received> events = kafka.await(jobA, es -> es.stream().anyMatch(e -> e.attempt() == 2
                && (e.kind() == Kind.SUCCEEDED || e.kind() == Kind.FAILED)), TRAINING).stream()
                .filter(r -> r.event().attempt() == 2).toList();

        assertThat(kind(events, Kind.FAILED)).isEmpty();
        Map<Long, Float> resumed = losses(events);
        assertThat(resumed.keySet()).containsExactlyInAnyOrder(5L, 6L, 7L, 8L, 9L, 10L);
        for (long s = 5; s <= 10; s++) {
            assertThat(Float.floatToIntBits(resumed.get(s))).as("loss of step %d", s)
                    .isEqualTo(Float.floatToIntBits(lossesA.get(s)));
        }
        assertThat(kind(events, Kind.CHECKPOINT_UPLOADED)).extracting(WorkerEndToEndTest::step).containsExactly(8L);
        assertThat(ArtifactStub.calls("checkpoint_get")).isEqualTo(checkpointGetsBefore + 1);
        assertThat(ArtifactStub.calls("file_content")).as("the dataset comes from the local cache")
                .isEqualTo(downloadsBefore);
        WorkerEvent done = kind(events, Kind.SUCCEEDED).get(0);
        assertThat(done.event().data()).as("one adapter per job")
                .containsEntry("adapter_id", ArtifactStub.adapterOf(tenant, jobA).id());
    }

    @Test
    @Order(3)
    void cancelStopsTrainingQuicklyWhileTheNextDispatchWaitsForTheDevice() throws Exception {
        int revocationsBefore = worker.dispatch().revocations();
        String longJob = newJobId();
        dispatch(longJob, 1, smallVblora(50), trainingFile, null);
        String queued = newJobId();
        Map<String, Object> bad = smallVblora(1);
        bad.put("vector_length", 100);
        dispatch(queued, 1, bad, trainingFile, null);

        kafka.await(longJob, es -> es.stream().anyMatch(e -> e.kind() == Kind.PROGRESS
                && e.event().data().containsKey("train_loss")), TRAINING);
        long trainingSince = System.nanoTime();
        // longer than max.poll.interval (6s in tests): a poll loop blocked by training would lose its partitions
        Thread.sleep(8000);
        kafka.poll();
        assertThat(kafka.of(queued)).as("a second job while the device is busy").isEmpty();
        assertThat(kafka.of(longJob).stream().map(Received::event).toList()).noneMatch(e -> ended(List.of(e)));

        long cancelAt = System.nanoTime();
        kafka.send(Topics.JOB_CONTROL, longJob, new CancelJob(longJob, 1, "cancelled by the user"));
        List<Received> events = kafka.await(longJob, WorkerEndToEndTest::ended, Duration.ofSeconds(60));
        Received last = events.get(events.size() - 1);
        assertThat(last.event().kind()).isEqualTo(Kind.CANCELLED);
        assertThat(Duration.ofNanos(last.receivedNanos() - cancelAt)).as("cancel latency")
                .isLessThan(Duration.ofSeconds(20));
        long stoppedAt = step(last.event());
        assertThat(stoppedAt).isBetween(1L, 249L);
        assertThat(Duration.ofNanos(cancelAt - trainingSince)).isGreaterThan(Duration.ofSeconds(6));
        assertThat(worker.dispatch().revocations()).as("rebalances while training").isEqualTo(revocationsBefore);

        List<Received> failed = kafka.await(queued, WorkerEndToEndTest::ended, Duration.ofSeconds(60));
        WorkerEvent f = failed.get(failed.size() - 1).event();
        assertThat(f.kind()).isEqualTo(Kind.FAILED);
        assertThat(f.event().data()).containsEntry("error_code", "invalid_hyperparameters")
                .containsEntry("error_param", "method.hyperparameters.vector_length");
        assertThat(f.event().message()).contains("vector_length").contains("384");
        assertThat(failed.get(0).receivedNanos()).as("the queued job started after the cancel")
                .isGreaterThan(last.receivedNanos());
    }

    @Test
    @Order(4)
    void dataThatDoesNotMatchItsChecksumOrAnUnknownModelFailsTheJob() throws Exception {
        byte[] rows;
        try (InputStream in = getClass().getResourceAsStream("/uci-amazon-40.jsonl")) {
            rows = in.readAllBytes();
        }
        String file = ArtifactStub.putFile(tenant, "rotten.jsonl", java.util.Arrays.copyOf(rows, rows.length - 1));
        ArtifactStub.corrupt(tenant, file);
        String corrupted = newJobId();
        dispatch(corrupted, 1, smallVblora(1), file, null);
        WorkerEvent f = last(kafka.await(corrupted, WorkerEndToEndTest::ended, Duration.ofSeconds(60)));
        assertThat(f.kind()).isEqualTo(Kind.FAILED);
        assertThat(f.event().data()).containsEntry("error_code", "file_corrupted");
        assertThat(f.event().message()).contains("sha256");

        // the same record again (a redelivery): claimed already, so nothing runs; the next job shows it was read
        int eventsOfA = kafka.of(jobA).size();
        kafka.send(Topics.JOB_DISPATCH, jobA, jobA1);

        String unknownModel = newJobId();
        kafka.send(Topics.JOB_DISPATCH, unknownModel, new DispatchJob(unknownModel, tenant, 1, "lease", 60,
                "gpt-17", trainingFile, null, new Method(MethodType.LORA, Map.of()), 1, null));
        WorkerEvent m = last(kafka.await(unknownModel, WorkerEndToEndTest::ended, Duration.ofSeconds(60)));
        assertThat(m.kind()).isEqualTo(Kind.FAILED);
        assertThat(m.event().data()).containsEntry("error_code", "invalid_model").containsEntry("error_param", "model");
        kafka.poll();
        assertThat(kafka.of(jobA)).as("a repeated dispatch starts nothing").hasSize(eventsOfA);
    }

    @Test
    @Order(5)
    void onShutdownTheRunningJobUploadsACheckpointAndLeavesItsLeaseToExpire() throws Exception {
        String job = newJobId();
        dispatch(job, 1, smallVblora(50), trainingFile, null);
        kafka.await(job, es -> es.stream().anyMatch(e -> e.kind() == Kind.PROGRESS
                && e.event().data().containsKey("train_loss")), TRAINING);
        runner.shutdown();
        List<Received> events = kafka.await(job, es -> es.stream().anyMatch(e -> e.event() != null
                && e.event().id().endsWith("-progress-abandoned")), Duration.ofSeconds(60));
        List<WorkerEvent> all = events.stream().map(Received::event).toList();
        assertThat(all).noneMatch(e -> ended(List.of(e)));
        WorkerEvent abandoned = all.stream().filter(e -> e.event() != null
                && e.event().id().endsWith("-progress-abandoned")).findFirst().orElseThrow();
        long stoppedAt = step(abandoned);
        List<WorkerEvent> checkpoints = kind(events, Kind.CHECKPOINT_UPLOADED);
        assertThat(checkpoints).isNotEmpty();
        assertThat(step(checkpoints.get(checkpoints.size() - 1))).as("checkpoint at the step it stopped")
                .isEqualTo(stoppedAt);
        assertThat(ArtifactStub.hasCheckpoint(tenant, job, stoppedAt)).isTrue();
        String status = null;
        for (int i = 0; i < 50 && !"interrupted".equals(status); i++) {
            Thread.sleep(100);
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select status from worker.job_runs where job_id = ?")) {
                ps.setString(1, job);
                try (ResultSet rs = ps.executeQuery()) {
                    status = rs.next() ? rs.getString(1) : null;
                }
            }
        }
        assertThat(status).isEqualTo("interrupted");
    }

    static WorkerEvent last(List<Received> events) {
        return events.get(events.size() - 1).event();
    }
}
