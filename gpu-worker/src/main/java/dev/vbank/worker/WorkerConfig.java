package dev.vbank.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "vbank.worker")
public interface WorkerConfig {

    /** Name in events and the run table; defaults to the host name plus a random suffix. */
    Optional<String> id();

    /** {@code auto} (CUDA when the cuda build sees a GPU, else CPU), {@code cpu} or {@code gpu}. */
    @WithDefault("auto")
    String device();

    /** Downloaded datasets (by sha256) and per-job work directories. */
    @WithDefault("${java.io.tmpdir}/vbank-worker")
    String cacheDir();

    /** Converted base-model weights (vblora-text BaseModelStore); defaults to its own default directory. */
    Optional<String> modelsDir();

    /**
     * Public datasets of evaluation suites ({@code public:<name>}, fetched with npm and converted once); defaults to
     * vblora-text's data directory.
     */
    Optional<String> dataDir();

    /** Consume dispatches and cancels; off only for tests that drive nothing through Kafka. */
    @WithDefault("true")
    boolean consume();

    @WithDefault("5s")
    Duration heartbeatInterval();

    /** At most one PROGRESS event per interval (the last step is always reported); 0 reports every step. */
    @WithDefault("5s")
    Duration progressInterval();

    /** Checkpoint every N optimizer steps unless the job's hyperparameters say {@code checkpoint_every}. */
    @WithDefault("200")
    int checkpointEvery();

    /**
     * Also checkpoint once this much training time has passed since the last checkpoint, so a crash loses at most
     * about this much work however slow the steps are; 0 checkpoints by steps only.
     */
    @WithDefault("60s")
    Duration checkpointInterval();

    /** Largest dataset file the worker downloads. */
    @WithDefault("536870912")
    long maxDatasetBytes();

    Kafka kafka();

    interface Kafka {
        @WithDefault("gpu-worker")
        String groupId();

        @WithDefault("500ms")
        Duration pollTimeout();

        /** Kafka's max.poll.interval.ms: the poll loop keeps polling while a job trains, so this can stay short. */
        @WithDefault("300s")
        Duration maxPollInterval();

        @WithDefault("45s")
        Duration sessionTimeout();

        /** How far back the control consumer reads on start, so cancels sent just before it started still count. */
        @WithDefault("1h")
        Duration controlLookback();

        @WithDefault("30s")
        Duration sendTimeout();
    }
}
