package dev.vbank.worker.artifacts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "vbank.artifact-service")
public interface ArtifactServiceConfig {

    @WithDefault("http://localhost:8083")
    String url();

    @WithDefault("5s")
    Duration connectTimeout();

    /** Per request; uploads and downloads of large files get this much time too. */
    @WithDefault("10m")
    Duration requestTimeout();
}
