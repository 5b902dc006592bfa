package dev.vbank.worker;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.vbank.common.command.CancelJob;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.command.WorkerEvent.Kind;
import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.EvaluationWork;
import dev.vbank.common.eval.Suite;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.eval.TaskSplit;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.TaskExamples;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.worker.support.ArtifactStub;
import dev.vbank.worker.support.KafkaTestClient;
import dev.vbank.worker.support.KafkaTestClient.Received;
import dev.vbank.worker.train.TrainingEngine;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluation items end to end on real Kafka and PostgreSQL, the HTTP artifact endpoint ({@link ArtifactStub}) and the
 * real all-MiniLM-L6-v2 encoder: a VB-LoRA adapter trained here in a few steps on 40 UCI Amazon sentences is scored on
 * a slice of the public UCI IMDb sentences (npm) and on a tenant file of UCI Yelp sentences; a pinned sha256 that does
 * not match fails the item; the head-only baseline is trained on the adapter job's file and scored the same way.
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = {
        @ResourceArg(name = "needs", value = "postgres,kafka"),
        @ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events,vbank.jobs.control")})
@WithTestResource(ArtifactStub.class)
class WorkerEvaluationTest {

    static final Duration EVALUATION = Duration.ofMinutes(5);
    static final String MODEL = "all-minilm-l6-v2";

    static KafkaTestClient kafka;
    static String tenant;
    static String trainingFile;
    static String yelpFile;
    static int yelpRows;
    static byte[] adapter;
    static String adapterId;

    @Inject
    DataSource dataSource;
    @Inject
    TrainingEngine engine;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "vbank.worker.data-dir")
    String dataDir;

    @BeforeEach
    void setUp() throws Exception {
        if (kafka != null) {
            return;
        }
        kafka = new KafkaTestClient(bootstrap);
        tenant = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] amazon;
        try (InputStream in = getClass().getResourceAsStream("/uci-amazon-40.jsonl")) {
            amazon = in.readAllBytes();
        }
        trainingFile = ArtifactStub.putFile(tenant, "amazon.jsonl", amazon);

        RawDataset yelp = TaskExamples.publicDataset("public:uci-yelp", Path.of(dataDir));
        StringBuilder jsonl = new StringBuilder();
        yelpRows = 30;
        for (var e : yelp.examples().subList(0, yelpRows)) {
            jsonl.append("{\"text\": ").append(TextNode.valueOf(e.textA())).append(", \"label\": ").append(e.label())
                    .append("}\n");
        }
        yelpFile = ArtifactStub.putFile(tenant, "yelp-held-out.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8));

        // the adapter a fine-tuning job would have stored: 6 VB-LoRA steps on the 40 sentences
        Path tmp = Files.createTempFile("amazon", ".jsonl");
        Files.write(tmp, amazon);
        RawDataset raw = DatasetReader.read(tmp);
        Files.delete(tmp);
        var train = DatasetSplits.of(raw, raw, TaskType.CLASSIFICATION).train();
        Path out = Files.createTempDirectory("adapter");
        TrainingSpec spec = TrainingSpec.builder(MODEL).maxSteps(6).batchSize(8).maxSeqLength(32).warmupRatio(0)
                .seed(4).build();
        adapter = Files.readAllBytes(engine.tuner().run(spec, train, null, out,
                dev.vbank.text.train.FineTuner.RunOptions.defaults()).adapterFile());
        adapterId = ArtifactStub.putAdapter(tenant, "ftjob-source", adapter);
    }

    @AfterAll
    static void close() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    static Suite suite() {
        return new Suite("suite-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), tenant,
                "worker-test", 1, "a public slice, a tenant file, and a task the classifier cannot score", List.of(
                new SuiteTask("imdb-test", "public:uci-imdb", null, "classification", List.of("accuracy", "f1_macro"),
                        new TaskSplit(TaskSplit.TEST, 0.5, 2024L, 64)),
                new SuiteTask("yelp-file", yelpFile, ArtifactStub.fileSha256(tenant, yelpFile), "classification",
                        List.of("accuracy", "f1_macro", "mcc"), TaskSplit.all()),
                new SuiteTask("yelp-as-scores", yelpFile, null, "regression", List.of("mse"), TaskSplit.all())));
    }

    static String itemId() {
        return "evitem-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    DispatchJob dispatchAdapterItem(String id, String sha256) {
        DispatchJob job = new DispatchJob(id, tenant, 1, UUID.randomUUID().toString(), 60, MODEL, null, null, null, 0,
                null, new EvaluationWork("eval-test", EvaluationSubject.ADAPTER, adapterId, sha256, suite()));
        kafka.send(Topics.JOB_DISPATCH, id, job);
        return job;
    }

    static boolean ended(List<WorkerEvent> events) {
        return events.stream().anyMatch(e -> e.kind() == Kind.SUCCEEDED || e.kind() == Kind.FAILED
                || e.kind() == Kind.CANCELLED);
    }

    static WorkerEvent last(List<Received> events) {
        return events.get(events.size() - 1).event();
    }

    static EvaluationOutcome outcomeOf(WorkerEvent e) {
        return Json.mapper().convertValue(e.event().data().get(EvaluationOutcome.EVENT_DATA_KEY),
                EvaluationOutcome.class);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static void assertScored(TaskResult r, int examples) {
        assertThat(r.status()).isEqualTo(TaskResult.SUCCEEDED);
        assertThat(r.examples()).isEqualTo(examples);
        assertThat(r.examplesPerSecond()).isPositive();
        assertThat(r.metrics().values()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
    }

    @Test
    void anAdapterItemScoresEveryTaskAndReportsTheOutcomeForTheExactBytes() throws Exception {
        String id = itemId();
        DispatchJob job = dispatchAdapterItem(id, sha256(adapter).toUpperCase());
        List<Received> events = kafka.await(id, WorkerEvaluationTest::ended, EVALUATION);
        List<WorkerEvent> all = events.stream().map(Received::event).toList();
        assertThat(all).allSatisfy(e -> assertThat(e.leaseToken()).isEqualTo(job.leaseToken()));
        assertThat(all).anyMatch(e -> e.kind() == Kind.HEARTBEAT);

        List<Map<String, Object>> progress = all.stream().filter(e -> e.kind() == Kind.PROGRESS)
                .map(e -> e.event().data()).filter(d -> d.containsKey("tasks_done")).toList();
        assertThat(progress).extracting(d -> ((Number) d.get("tasks_done")).intValue()).containsExactly(1, 2, 3);
        assertThat(progress).extracting(d -> d.get("task")).containsExactly("imdb-test", "yelp-file", "yelp-as-scores");
        assertThat(progress).allSatisfy(d -> assertThat(((Number) d.get("tasks_total")).intValue()).isEqualTo(3));

        WorkerEvent done = last(events);
        assertThat(done.kind()).as(done.event().message()).isEqualTo(Kind.SUCCEEDED);
        EvaluationOutcome o = outcomeOf(done);
        assertThat(o.subjectSha256()).isEqualTo(sha256(adapter));
        assertThat(o.storedBytes()).isEqualTo(adapter.length);
        Accounting acc = Accounting.of(CompactFormat.read(adapter), CompactFormat.Options.FP32);
        assertThat(o.trainableParameters()).isEqualTo(acc.trainable());
        // logits kept (PEFT's default save mode, save_only_topk_weights=false): the file holds every trainable value
        assertThat(o.storedParameters()).isEqualTo(o.trainableParameters());
        assertThat(o.tasks()).extracting(TaskResult::task).containsExactly("imdb-test", "yelp-file", "yelp-as-scores");
        assertScored(o.tasks().get(0), 64);
        assertThat(o.tasks().get(0).metrics()).containsOnlyKeys("accuracy", "f1_macro");
        assertScored(o.tasks().get(1), yelpRows);
        assertThat(o.tasks().get(1).metrics()).containsOnlyKeys("accuracy", "f1_macro", "mcc");
        assertThat(o.tasks().get(2).status()).isEqualTo(TaskResult.SKIPPED);
        assertThat(o.tasks().get(2).detail()).contains("regression");

        // the run row is finished just after the outcome is published
        String status = null;
        for (int i = 0; i < 50 && !"succeeded".equals(status); i++) {
            Thread.sleep(100);
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select status, step, adapter_id from worker.job_runs where job_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    status = rs.getString("status");
                    if ("succeeded".equals(status)) {
                        assertThat(rs.getLong("step")).isEqualTo(3);
                        assertThat(rs.getString("adapter_id")).isEqualTo(adapterId);
                    }
                }
            }
        }
        assertThat(status).isEqualTo("succeeded");
    }

    @Test
    void anAdapterWhoseBytesDoNotMatchThePinnedSha256FailsTheItem() throws Exception {
        String id = itemId();
        String other = sha256("another adapter".getBytes(StandardCharsets.UTF_8));
        dispatchAdapterItem(id, other);
        WorkerEvent f = last(kafka.await(id, WorkerEvaluationTest::ended, EVALUATION));
        assertThat(f.kind()).isEqualTo(Kind.FAILED);
        assertThat(f.event().data()).containsEntry("error_code", "adapter_sha256_mismatch")
                .containsEntry("error_param", "evaluation.adapter_sha256");
        assertThat(f.event().message()).contains(other).contains(sha256(adapter));
        assertThat(f.event().data()).doesNotContainKey(EvaluationOutcome.EVENT_DATA_KEY);
    }

    @Test
    void anUnknownAdapterOrATenantFileOtherThanTheSuitePinnedFailsWithItsCode() throws Exception {
        String missing = itemId();
        kafka.send(Topics.JOB_DISPATCH, missing, new DispatchJob(missing, tenant, 1, "lease-" + missing, 60, MODEL,
                null, null, null, 0, null, new EvaluationWork("eval-test", EvaluationSubject.ADAPTER,
                "adapter-000000000000000000000000", sha256(adapter), suite())));
        WorkerEvent notFound = last(kafka.await(missing, WorkerEvaluationTest::ended, EVALUATION));
        assertThat(notFound.kind()).isEqualTo(Kind.FAILED);
        assertThat(notFound.event().data()).containsEntry("error_code", "adapter_not_found")
                .containsEntry("error_param", "evaluation.adapter_id");

        String changed = itemId();
        String pinned = sha256("the file as it was when the suite was written".getBytes(StandardCharsets.UTF_8));
        Suite suite = new Suite("suite-pinned", tenant, "pinned", 1, null, List.of(
                new SuiteTask("yelp-file", yelpFile, pinned, "classification", List.of("accuracy"), TaskSplit.all())));
        kafka.send(Topics.JOB_DISPATCH, changed, new DispatchJob(changed, tenant, 1, "lease-" + changed, 60, MODEL,
                null, null, null, 0, null, new EvaluationWork("eval-test", EvaluationSubject.ADAPTER, adapterId,
                sha256(adapter), suite)));
        WorkerEvent f = last(kafka.await(changed, WorkerEvaluationTest::ended, EVALUATION));
        assertThat(f.kind()).isEqualTo(Kind.FAILED);
        assertThat(f.event().data()).containsEntry("error_code", "dataset_changed")
                .containsEntry("error_param", "evaluation.suite.tasks[0].dataset");
        assertThat(f.event().message()).contains(pinned);
    }

    @Test
    void theHeadOnlyBaselineIsTrainedOnTheJobsFileAndScoredWithoutUploadingAnything() throws Exception {
        int adapterPosts = ArtifactStub.calls("adapter_post");
        int checkpointPuts = ArtifactStub.calls("checkpoint_put");
        String id = itemId();
        // the adapter job's hyperparameters: the VB-LoRA ones do not apply to a head and are left out
        Map<String, Object> hp = Map.of("n_epochs", 1, "batch_size", 8, "max_seq_length", 32, "num_vectors", 32,
                "lr_head", 0.01);
        kafka.send(Topics.JOB_DISPATCH, id, new DispatchJob(id, tenant, 1, UUID.randomUUID().toString(), 60, MODEL,
                trainingFile, null, new Method(MethodType.HEAD_ONLY, hp), 7, null,
                new EvaluationWork("eval-test", EvaluationSubject.BASELINE_HEAD_ONLY, adapterId, sha256(adapter),
                        suite())));
        List<Received> events = kafka.await(id, WorkerEvaluationTest::ended, EVALUATION);
        WorkerEvent done = last(events);
        assertThat(done.kind()).as(done.event().message()).isEqualTo(Kind.SUCCEEDED);
        assertThat(events).anyMatch(r -> r.event().event() != null && r.event().event().message().contains("baseline"));
        EvaluationOutcome o = outcomeOf(done);
        assertThat(o.trainableParameters()).isEqualTo(2 * 384 + 2);
        assertThat(o.storedParameters()).isEqualTo(2 * 384 + 2);
        assertThat(o.subjectSha256()).matches("[0-9a-f]{64}").isNotEqualTo(sha256(adapter));
        assertThat(o.storedBytes()).isPositive().isLessThan(adapter.length);
        assertScored(o.tasks().get(0), 64);
        assertScored(o.tasks().get(1), yelpRows);
        assertThat(ArtifactStub.calls("adapter_post")).as("the baseline is not stored as an adapter")
                .isEqualTo(adapterPosts);
        assertThat(ArtifactStub.calls("checkpoint_put")).isEqualTo(checkpointPuts);
    }

    @Test
    void aCancelStopsTheItemBetweenBatches() throws Exception {
        String id = itemId();
        SuiteTask whole = new SuiteTask("imdb-all", "public:uci-imdb", null, "classification", List.of("accuracy"),
                TaskSplit.all());
        SuiteTask first = new SuiteTask("first", yelpFile, null, "classification", List.of("accuracy"),
                new TaskSplit(TaskSplit.ALL, null, null, 4));
        Suite big = new Suite("suite-big", tenant, "big", 1, null, List.of(first, whole, whole, whole, whole));
        kafka.send(Topics.JOB_DISPATCH, id, new DispatchJob(id, tenant, 1, "lease-" + id, 60, MODEL, null, null, null,
                0, null, new EvaluationWork("eval-test", EvaluationSubject.ADAPTER, adapterId, sha256(adapter), big)));
        kafka.await(id, es -> es.stream().anyMatch(e -> e.kind() == Kind.PROGRESS
                && e.event().data().containsKey("tasks_done")), EVALUATION);
        kafka.send(Topics.JOB_CONTROL, id, new CancelJob(id, 1, "cancelled by the user"));
        List<Received> events = kafka.await(id, WorkerEvaluationTest::ended, Duration.ofSeconds(60));
        assertThat(last(events).kind()).isEqualTo(Kind.CANCELLED);
        assertThat(events).noneMatch(r -> r.event().kind() == Kind.PROGRESS
                && Integer.valueOf(5).equals(r.event().event().data().get("tasks_done")));
    }
}
