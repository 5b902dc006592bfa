package dev.vbank.worker.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.json.Json;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.text.data.DatasetException;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.train.Checkpoint;
import dev.vbank.text.train.Evaluation;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Progress;
import dev.vbank.text.train.ProgressListener;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.precision.Precision;
import dev.vbank.vblora.precision.PrecisionUnavailableException;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.WorkerConfig;
import dev.vbank.worker.WorkerIdentity;
import dev.vbank.worker.artifacts.ArtifactClient;
import dev.vbank.worker.artifacts.DatasetCache;
import dev.vbank.worker.eval.EvaluationItems;
import dev.vbank.worker.kafka.CancelRegistry;
import dev.vbank.worker.kafka.EventPublisher;
import dev.vbank.worker.kafka.EventPublisher.Lease;
import dev.vbank.worker.runs.RunStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs one dispatched job attempt to its end on the calling (training) thread: claims it, heartbeats, downloads the
 * data (and the checkpoint to resume from), trains with the {@link FineTuner}, uploads checkpoints and the adapter, and
 * publishes the outcome. Never throws for a job's own problems: they become a FAILED event.
 * <p>
 * Outcomes: SUCCEEDED (adapter uploaded), FAILED (the job cannot succeed: bad model, hyperparameters or data, a
 * training error), CANCELLED (a cancel for this attempt). When the worker is shutting down, or the artifact-service is
 * unreachable, the attempt is abandoned without an outcome: its lease runs out and the scheduler requeues the job
 * from its last uploaded checkpoint.
 */
@ApplicationScoped
public class JobRunner {

    private static final Logger LOG = Logger.getLogger(JobRunner.class);
    private static final Pattern CHECKPOINT_KEY = Pattern.compile(".*/checkpoints/([^/]+)/(\\d+)/?$");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    public enum Outcome { SUCCEEDED, FAILED, CANCELLED, ABANDONED, DUPLICATE }

    private final WorkerConfig config;
    private final String workerId;
    private final ArtifactClient artifacts;
    private final DatasetCache datasets;
    private final EventPublisher events;
    private final CancelRegistry cancels;
    private final RunStore runs;
    private final TrainingEngine engine;
    private final EvaluationItems evaluations;
    private final ScheduledExecutorService heartbeats;
    private volatile boolean shuttingDown;

    public JobRunner(WorkerConfig config, WorkerIdentity identity, ArtifactClient artifacts, EventPublisher events,
                     CancelRegistry cancels, RunStore runs, TrainingEngine engine, EvaluationItems evaluations) {
        this.config = config;
        this.workerId = identity.id();
        this.artifacts = artifacts;
        this.datasets = new DatasetCache(artifacts, Path.of(config.cacheDir()).resolve("files"),
                config.maxDatasetBytes());
        this.events = events;
        this.cancels = cancels;
        this.runs = runs;
        this.engine = engine;
        this.evaluations = evaluations;
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gpu-worker-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    /** Stops the running job at its next step; it ends ABANDONED (checkpoint uploaded, no outcome event). */
    public void shutdown() {
        shuttingDown = true;
    }

    public Outcome run(DispatchJob job) {
        Lease lease = new Lease(job.jobId(), job.attempt(), job.leaseToken());
        try {
            if (!runs.claim(job.jobId(), job.attempt(), job.leaseToken(), job.tenantId(), workerId)) {
                LOG.infof("%s attempt %d (lease %s) was started before; ignoring the repeated dispatch", job.jobId(),
                        job.attempt(), job.leaseToken());
                return Outcome.DUPLICATE;
            }
        } catch (java.sql.SQLException e) {
            // without the claim a duplicate could train twice; the lease brings the job back if nobody runs it
            LOG.errorf(e, "cannot record the start of %s; leaving it to the scheduler's lease", job.jobId());
            return Outcome.ABANDONED;
        }
        Attempt a = new Attempt(job, lease);
        // at least three heartbeats per lease, whatever the configured interval
        long interval = Math.max(100, Math.min(config.heartbeatInterval().toMillis(),
                job.leaseSeconds() > 0 ? job.leaseSeconds() * 1000 / 3 : Long.MAX_VALUE));
        var beat = heartbeats.scheduleAtFixedRate(a::heartbeat, 0, interval, TimeUnit.MILLISECONDS);
        Outcome outcome;
        try {
            outcome = a.run();
        } finally {
            beat.cancel(false);
            deleteTree(a.work);
        }
        a.finish(outcome);
        return outcome;
    }

    /** The state of one attempt. */
    private final class Attempt implements ProgressListener {
        final DispatchJob job;
        final Lease lease;
        final Path work;
        final AtomicLong step = new AtomicLong();
        long totalSteps;
        long lastProgressNanos;
        Long resumedFrom;
        String adapterId;
        String errorCode;
        String errorMessage;
        boolean ended;
        volatile PendingCheckpoint pendingCheckpoint;

        Attempt(DispatchJob job, Lease lease) {
            this.job = job;
            this.lease = lease;
            this.work = Path.of(config.cacheDir()).resolve("jobs")
                    .resolve(job.jobId() + "-a" + job.attempt() + "-" + Long.toHexString(System.nanoTime()));
        }

        boolean userCancelled() {
            return cancels.isCancelled(job.jobId(), job.attempt());
        }

        Outcome run() {
            try {
                if (userCancelled()) {
                    return cancelled();
                }
                if (job.evaluation() != null) {
                    return evaluate();
                }
                BaseModel bm = SpecMapper.model(job);
                RawDataset train = read(datasets.get(job.tenantId(), job.trainingFile(), "training_file"),
                        "training_file");
                RawDataset validation = job.validationFile() == null ? null
                        : read(datasets.get(job.tenantId(), job.validationFile(), "validation_file"), "validation_file");
                TaskType task = TaskTypes.of(train);
                DatasetSplits data;
                try {
                    data = DatasetSplits.of(train, validation != null ? validation : train, task);
                } catch (DatasetException e) {
                    throw new JobFailure("invalid_file", e.getMessage(), validation != null ? "validation_file"
                            : "training_file", e);
                }
                int checkpointEvery = SpecMapper.checkpointEvery(job, config.checkpointEvery());
                Path resumeDir = null;
                if (job.resumeCheckpoint() != null) {
                    resumeDir = fetchCheckpoint(job.resumeCheckpoint());
                    // the spec must equal the checkpoint's: keep its interval even if this worker's default differs
                    checkpointEvery = readSpec(resumeDir).path("checkpoint_every").asInt(checkpointEvery);
                }
                TrainingSpec spec = SharedBanks.withSharedBank(job, SpecMapper.spec(job, task, checkpointEvery),
                        artifacts, work, config.maxDatasetBytes());
                if (validation != null) {
                    spec = SpecMapper.withDefaultEvalEvery(job, spec, data.train().rows().size());
                }
                if (userCancelled()) {
                    return cancelled();
                }
                FineTuner tuner = engine.tuner();
                message(EventLevel.INFO, "start", "Training " + bm.id() + " with " + spec.method().id() + " on "
                        + engine.device() + (spec.precision() == Precision.FP32 ? "" : " in "
                        + spec.precision().wireName()) + " (worker " + workerId + ")" + (resumedFrom != null
                        ? ", resuming from step " + resumedFrom : ""), Map.of("step", step.get()));
                FineTuner.RunOptions options = new FineTuner.RunOptions(this, () -> shuttingDown || userCancelled(),
                        resumeDir).withCheckpointInterval(config.checkpointInterval());
                if (resumeDir == null) {
                    options = options.withInitState(InitAdapter.state(job, spec, artifacts, work,
                            config.maxDatasetBytes()));
                }
                FineTuneResult result = tuner.run(spec, data.train(), validation != null ? data.validation() : null,
                        work.resolve("out"), options);
                step.set(result.steps());
                if (result.status() == FineTuneResult.Status.CANCELLED) {
                    return userCancelled() ? cancelled() : abandoned("the worker is shutting down");
                }
                return succeeded(bm, spec, result);
            } catch (JobFailure e) {
                return failed(e.code(), e.getMessage(), e.param(), e);
            } catch (PrecisionUnavailableException e) {
                return failed("precision_unavailable", e.getMessage(), Hyperparameters.PARAM + ".precision", e);
            } catch (DatasetException e) {
                return failed("invalid_file", e.getMessage(), "training_file", e);
            } catch (ArtifactClient.ArtifactException e) {
                return abandoned("the artifact-service is unavailable: " + e.getMessage());
            } catch (Exception | OutOfMemoryError e) {
                return failed(job.evaluation() != null ? "evaluation_failed" : "training_failed", String.valueOf(e.getMessage() != null ? e.getMessage() : e), null, e);
            }
        }

        /** An evaluation item: every suite task scored, the outcome in the SUCCEEDED event's data. */
        Outcome evaluate() throws IOException, InterruptedException {
            adapterId = job.evaluation().adapterId();
            EvaluationOutcome result;
            try {
                result = evaluations.run(job, work, new EvaluationItems.Reporter() {
                    @Override
                    public void message(String suffix, String text) {
                        Attempt.this.message(EventLevel.INFO, suffix, text, Map.of("step", step.get()));
                    }

                    @Override
                    public void taskDone(int done, int total, TaskResult r) {
                        taskProgress(done, total, r);
                    }
                }, () -> shuttingDown || userCancelled());
            } catch (CancellationException e) {
                return userCancelled() ? cancelled() : abandoned("the worker is shutting down");
            }
            Map<String, Object> data = new LinkedHashMap<>();
            data.put(EvaluationOutcome.EVENT_DATA_KEY, Json.mapper().convertValue(result, Map.class));
            data.put("tasks_done", result.tasks().size());
            data.put("tasks_total", result.tasks().size());
            long skipped = result.tasks().stream().filter(t -> TaskResult.SKIPPED.equals(t.status())).count();
            outcome(WorkerEvent.Kind.SUCCEEDED, EventLevel.INFO, "Evaluation finished: " + result.tasks().size()
                    + " tasks" + (skipped > 0 ? " (" + skipped + " skipped)" : "") + ", subject sha256 "
                    + result.subjectSha256(), data);
            return Outcome.SUCCEEDED;
        }

        void taskProgress(int done, int total, TaskResult r) {
            step.set(done);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("tasks_done", done);
            data.put("tasks_total", total);
            data.put("task", r.task());
            data.put("status", r.status());
            StringBuilder text = new StringBuilder("Task " + done + "/" + total + " " + r.task() + ": ");
            if (TaskResult.SKIPPED.equals(r.status())) {
                text.append("skipped, ").append(r.detail());
            } else {
                r.metrics().forEach((k, v) -> text.append(String.format(Locale.ROOT, "%s=%.4f ", k, v)));
                text.append("(").append(r.examples()).append(" examples)");
            }
            events.publish(events.event(lease, WorkerEvent.Kind.PROGRESS, "task-" + done, EventLevel.INFO,
                    EventType.METRICS, text.toString(), data));
            try {
                runs.progress(job.jobId(), job.attempt(), job.leaseToken(), done, null);
            } catch (java.sql.SQLException e) {
                LOG.warnf("cannot record the progress of %s: %s", job.jobId(), e.getMessage());
            }
        }

        RawDataset read(DatasetCache.LocalFile f, String param) {
            return datasets.read(f, param);
        }

        Path fetchCheckpoint(String objectKey) throws IOException {
            Matcher m = CHECKPOINT_KEY.matcher(objectKey);
            if (!m.matches() || !m.group(1).equals(job.jobId())) {
                throw new JobFailure("invalid_checkpoint", "resume checkpoint '" + objectKey
                        + "' is not a checkpoint key of " + job.jobId(), null);
            }
            long s = Long.parseLong(m.group(2));
            Path zip = work.resolve("resume.zip");
            Files.createDirectories(work);
            try {
                artifacts.checkpointContent(job.tenantId(), job.jobId(), s, zip, config.maxDatasetBytes() * 4);
            } catch (JobFailure e) {
                throw new JobFailure("invalid_checkpoint", "cannot resume from " + objectKey + ": " + e.getMessage(),
                        null, e);
            }
            Path dir = work.resolve("resume");
            CheckpointArchive.unzip(zip, dir, config.maxDatasetBytes() * 8);
            long stateStep = readState(dir).path("step").asLong(-1);
            if (stateStep != s) {
                throw new JobFailure("invalid_checkpoint", "checkpoint " + objectKey + " holds step " + stateStep, null);
            }
            resumedFrom = s;
            step.set(s);
            return dir;
        }

        // ---- listener (training thread)

        @Override
        public void onStep(Progress p) {
            step.set(p.step());
            uploadPendingCheckpoint();
            totalSteps = p.totalSteps();
            long now = System.nanoTime();
            boolean last = p.step() >= p.totalSteps();
            if (!last && lastProgressNanos != 0 && now - lastProgressNanos < config.progressInterval().toNanos()) {
                return;
            }
            lastProgressNanos = now;
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("step", p.step());
            data.put("total_steps", p.totalSteps());
            putFinite(data, "epoch", p.epoch());
            data.put("train_loss", p.loss());
            putFinite(data, "grad_norm", p.gradNorm());
            Map<String, Object> lrs = new LinkedHashMap<>();
            p.learningRates().forEach((g, lr) -> lrs.put(g.name().toLowerCase(Locale.ROOT), lr));
            data.put("learning_rates", lrs);
            putFinite(data, "examples_per_second", p.examplesPerSecond());
            if (Double.isFinite(p.etaSeconds())) {
                data.put("eta_seconds", p.etaSeconds());
                data.put("estimated_finish", Instant.now().getEpochSecond() + (long) Math.ceil(p.etaSeconds()));
            }
            events.publish(events.event(lease, WorkerEvent.Kind.PROGRESS, Long.toString(p.step()), EventLevel.INFO,
                    EventType.METRICS, String.format(Locale.ROOT, "Step %d/%d: training loss=%.4f", p.step(),
                            p.totalSteps(), p.loss()), data));
            try {
                runs.progress(job.jobId(), job.attempt(), job.leaseToken(), p.step(), resumedFrom);
            } catch (java.sql.SQLException e) {
                LOG.warnf("cannot record the progress of %s: %s", job.jobId(), e.getMessage());
            }
        }

        @Override
        public void onEvaluation(long s, Evaluation e) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("step", s);
            data.put("valid_examples", e.examples());
            putFinite(data, "valid_loss", e.loss());
            putFinite(data, "valid_accuracy", e.accuracy());
            putFinite(data, "valid_macro_f1", e.macroF1());
            putFinite(data, "valid_mcc", e.mcc());
            putFinite(data, "valid_pearson", e.pearson());
            putFinite(data, "valid_spearman", e.spearman());
            putFinite(data, "valid_mse", e.mse());
            events.publish(events.event(lease, WorkerEvent.Kind.PROGRESS, "eval-" + s, EventLevel.INFO,
                    EventType.METRICS, String.format(Locale.ROOT, "Step %d: validation %s=%.4f", s, e.primaryName(),
                            e.primary()), data));
        }

        @Override
        public void onCheckpoint(long s, Path dir) {
            if (userCancelled()) {
                return; // the job ends for good: nobody will resume it
            }
            // a newer checkpoint supersedes one still waiting for the artifact-service, and keeps its retry schedule:
            // while the store is down, training is not held up by an upload attempt at every checkpoint
            PendingCheckpoint waiting = pendingCheckpoint;
            PendingCheckpoint next = new PendingCheckpoint(s, dir);
            if (waiting != null) {
                next.failures = waiting.failures;
                next.retryAtNanos = waiting.retryAtNanos;
            }
            pendingCheckpoint = next;
            uploadPendingCheckpoint();
        }

        /**
         * Uploads the checkpoint waiting for the artifact-service. A failure keeps it waiting and training goes on; it is
         * tried again after a growing pause (checked after every step) until it is uploaded or a newer one replaces it.
         */
        void uploadPendingCheckpoint() {
            PendingCheckpoint p = pendingCheckpoint;
            if (p == null || System.nanoTime() < p.retryAtNanos) {
                return;
            }
            try {
                Path zip = work.resolve("checkpoint-" + p.step + ".zip");
                CheckpointArchive.zip(p.dir, zip);
                ArtifactClient.StoredCheckpoint c = artifacts.putCheckpoint(job.tenantId(), job.jobId(), p.step, zip);
                Files.deleteIfExists(zip);
                pendingCheckpoint = null;
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("step", p.step);
                data.put("object_key", c.objectKey());
                data.put("bytes", c.bytes());
                data.put("sha256", c.sha256());
                events.publishAndWait(events.event(lease, WorkerEvent.Kind.CHECKPOINT_UPLOADED, Long.toString(p.step),
                        EventLevel.INFO, EventType.MESSAGE, "Checkpoint at step " + p.step + " uploaded"
                                + (p.failures > 0 ? " (after " + p.failures + " failed attempts)" : ""), data));
            } catch (JobFailure e) {
                pendingCheckpoint = null; // refused, not unavailable: a retry cannot help
                message(EventLevel.WARN, "checkpoint-refused-" + p.step, "Checkpoint at step " + p.step
                        + " was refused: " + e.getMessage(), Map.of("step", p.step));
            } catch (RuntimeException | IOException e) {
                p.failures++;
                p.retryAtNanos = System.nanoTime() + Math.min(30_000L, 500L << Math.min(p.failures, 6)) * 1_000_000L;
                LOG.warnf("checkpoint of %s at step %d not uploaded (attempt %d), retried later: %s", job.jobId(),
                        p.step, p.failures, e.toString());
                if (p.failures == 1) {
                    message(EventLevel.WARN, "checkpoint-failed-" + p.step, "Checkpoint at step " + p.step
                            + " could not be uploaded yet; retrying (the newest checkpoint) while training goes on: "
                            + e.getMessage(), Map.of("step", p.step));
                }
            }
        }

        // ---- outcomes

        Outcome succeeded(BaseModel bm, TrainingSpec spec, FineTuneResult r) {
            ArtifactClient.StoredAdapter adapter;
            try {
                adapter = artifacts.postAdapter(job.tenantId(), job.jobId(), bm.id(), job.trainingFile(),
                        spec.method().id(), r.adapterFile());
            } catch (ArtifactClient.Transient e) {
                message(EventLevel.WARN, "adapter-upload-failed", "The trained adapter could not be uploaded yet; it is"
                        + " retried for up to 5 minutes: " + e.getMessage(), Map.of("step", r.steps()));
                adapter = artifacts.postAdapterPatiently(job.tenantId(), job.jobId(), bm.id(), job.trainingFile(),
                        spec.method().id(), r.adapterFile());
            }
            adapterId = adapter.id();
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("adapter_id", adapter.id());
            data.put("step", r.steps());
            data.put("total_steps", r.totalSteps());
            if (!r.losses().isEmpty()) {
                data.put("train_loss", r.losses().get(r.losses().size() - 1));
            }
            if (r.accounting() != null) {
                data.put("trainable_parameters", r.accounting().trainable());
                data.put("compact_bytes", r.accounting().compactBytes());
            }
            if (r.final_() != null) {
                putFinite(data, "valid_loss", r.final_().loss());
                putFinite(data, "valid_" + r.final_().primaryName(), r.final_().primary());
            }
            data.put("train_seconds", r.trainSeconds());
            outcome(WorkerEvent.Kind.SUCCEEDED, EventLevel.INFO, "Training finished after " + r.steps()
                    + " steps; adapter " + adapter.id(), data);
            return Outcome.SUCCEEDED;
        }

        Outcome failed(String code, String message, String param, Throwable e) {
            errorCode = code;
            errorMessage = message;
            if (e instanceof JobFailure) {
                LOG.infof("%s attempt %d failed: %s: %s", job.jobId(), job.attempt(), code, message);
            } else {
                LOG.errorf(e, "%s attempt %d failed", job.jobId(), job.attempt());
            }
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("error_code", code);
            if (param != null) {
                data.put("error_param", param);
            }
            data.put("step", step.get());
            outcome(WorkerEvent.Kind.FAILED, EventLevel.ERROR, message, data);
            return Outcome.FAILED;
        }

        Outcome cancelled() {
            outcome(WorkerEvent.Kind.CANCELLED, EventLevel.INFO, (job.evaluation() != null ? "Evaluation" : "Training")
                    + " cancelled at step " + step.get(),
                    Map.of("step", step.get()));
            return Outcome.CANCELLED;
        }

        Outcome abandoned(String why) {
            synchronized (this) {
                ended = true; // the lease must run out for the scheduler to requeue the job
            }
            errorMessage = why;
            LOG.warnf("%s attempt %d abandoned at step %d: %s", job.jobId(), job.attempt(), step.get(), why);
            message(EventLevel.WARN, "abandoned", "Attempt " + job.attempt() + " stopped at step " + step.get() + ": "
                    + why + "; the job is retried from its last checkpoint", Map.of("step", step.get()));
            return Outcome.ABANDONED;
        }

        void outcome(WorkerEvent.Kind kind, EventLevel level, String message, Map<String, Object> data) {
            synchronized (this) {
                // no heartbeat after the outcome: the scheduler would read it as the job being alive again
                ended = true;
            }
            try {
                events.publishAndWait(events.event(lease, kind, "final", level, EventType.STATE, message, data));
            } catch (RuntimeException e) {
                // the lease expires and the scheduler retries; the adapter upload is idempotent per job
                LOG.errorf("outcome %s of %s not published: %s", kind, job.jobId(), e.toString());
            }
        }

        void message(EventLevel level, String suffix, String text, Map<String, Object> data) {
            try {
                events.publish(events.event(lease, WorkerEvent.Kind.PROGRESS, suffix, level, EventType.MESSAGE, text,
                        data));
            } catch (RuntimeException e) {
                LOG.warnf("message for %s not published: %s", job.jobId(), e.toString());
            }
        }

        synchronized void heartbeat() {
            if (ended) {
                return;
            }
            try {
                events.publish(events.event(lease, WorkerEvent.Kind.HEARTBEAT, null, EventLevel.INFO,
                        EventType.MESSAGE, "heartbeat", Map.of("step", step.get())));
            } catch (RuntimeException e) {
                LOG.warnf("heartbeat of %s not published: %s", job.jobId(), e.toString());
            }
        }

        void finish(Outcome outcome) {
            RunStore.Status status = switch (outcome) {
                case SUCCEEDED -> RunStore.Status.SUCCEEDED;
                case FAILED -> RunStore.Status.FAILED;
                case CANCELLED -> RunStore.Status.CANCELLED;
                default -> RunStore.Status.INTERRUPTED;
            };
            try {
                runs.finish(job.jobId(), job.attempt(), job.leaseToken(), status, step.get(), adapterId, errorCode,
                        errorMessage);
            } catch (java.sql.SQLException e) {
                LOG.warnf("cannot record the end of %s: %s", job.jobId(), e.getMessage());
            }
        }
    }

    /** A checkpoint written on disk that the artifact-service has not stored yet. */
    private static final class PendingCheckpoint {
        final long step;
        final Path dir;
        int failures;
        long retryAtNanos;

        PendingCheckpoint(long step, Path dir) {
            this.step = step;
            this.dir = dir;
        }
    }

    static JsonNode readState(Path dir) throws IOException {
        return JSON.readTree(Files.readString(dir.resolve(Checkpoint.STATE)));
    }

    static JsonNode readSpec(Path dir) throws IOException {
        return readState(dir).path("spec");
    }

    private static void putFinite(Map<String, Object> data, String key, double v) {
        if (Double.isFinite(v)) {
            data.put(key, v);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException ignored) {
                    // best effort: the next start's cache cleanup is not needed for correctness
                }
            });
        } catch (IOException e) {
            LOG.debugf("cannot clean %s: %s", dir, e.getMessage());
        }
    }
}
