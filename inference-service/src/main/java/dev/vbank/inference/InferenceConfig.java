package dev.vbank.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "vbank.inference")
public interface InferenceConfig {

    /** Resident bytes of composed adapters kept in memory (least recently used out first). */
    @WithDefault("268435456")
    long cacheBytes();

    /** How long the engine waits for more requests after the first one of a batch. */
    @WithDefault("3ms")
    Duration batchWindow();

    /** Rows in one forward pass at most. */
    @WithDefault("64")
    int maxBatchRows();

    /** Inputs in one request at most. */
    @WithDefault("256")
    int maxInputs();

    /** Characters in one input (both texts of a pair together) at most. */
    @WithDefault("20000")
    int maxInputChars();

    /** How long a request may wait for its batch before it gets a 503. */
    @WithDefault("30s")
    Duration requestTimeout();

    /** {@code auto} (CUDA when the cuda build sees a GPU, else CPU), {@code cpu} or {@code gpu}: as the worker. */
    @WithDefault("cpu")
    String device();

    /** Converted base-model weights (text-models BaseModelStore); defaults to its own default directory. */
    Optional<String> modelsDir();

    /** Base models loaded at start, so the first request does not wait for them; none when empty. */
    Optional<java.util.List<String>> preload();

    ArtifactService artifactService();

    interface ArtifactService {
        @WithDefault("http://localhost:8083")
        String url();

        @WithDefault("3s")
        Duration connectTimeout();

        @WithDefault("30s")
        Duration requestTimeout();

        /** Largest compact adapter file fetched. */
        @WithDefault("67108864")
        long maxAdapterBytes();
    }
}
