package dev.vbank.artifacts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Limits and behaviour of the artifact-service ({@code vbank.artifacts.*}). */
@ConfigMapping(prefix = "vbank.artifacts")
public interface ArtifactsConfig {

    /** Where bodies are spooled while hashed and where verified reads wait before they are served; default java.io.tmpdir. */
    Optional<Path> tempDir();

    @WithDefault("15m")
    Duration presignExpiry();

    /** Cap of a checkpoint archive. */
    @WithDefault("1073741824")
    long checkpointMaxBytes();

    /** Cap of a compact adapter file (they are tens of kilobytes; PEFT and merged forms are built in memory). */
    @WithDefault("67108864")
    long adapterMaxBytes();

    /** Most sub-vectors whose top-k selection a bank_usage answer lists (usage counts always cover all). */
    @WithDefault("65536")
    int bankUsageMaxSubVectors();

    BaseModels baseModels();

    interface BaseModels {
        /** Convert and upload the registry's weights at start (in the background). */
        @WithDefault("true")
        boolean seed();

        /** Registry ids to seed; all when absent. */
        Optional<List<String>> ids();

        /** BaseModelStore cache directory; vblora-text's default (vbank.models.dir, VBANK_MODELS_DIR, ~/.vbank/models). */
        Optional<Path> cacheDir();
    }
}
