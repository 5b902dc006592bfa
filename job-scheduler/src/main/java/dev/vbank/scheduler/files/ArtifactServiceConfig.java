package dev.vbank.scheduler.files;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

@ConfigMapping(prefix = "vbank.artifact-service")
public interface ArtifactServiceConfig {

    @WithDefault("http://localhost:8083")
    String url();

    @WithDefault("5s")
    Duration timeout();
}
