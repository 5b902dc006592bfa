package dev.vbank.artifacts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** S3-compatible object storage; clients use path-style requests. */
@ConfigMapping(prefix = "vbank.s3")
public interface S3Config {

    /** e.g. {@code http://localhost:19000} */
    String endpoint();

    String accessKey();

    String secretKey();

    @WithDefault("vbank")
    String bucket();

    @WithDefault("us-east-1")
    String region();

    @WithDefault("5s")
    Duration connectTimeout();

    /** Read/write timeout of object transfers. */
    @WithDefault("5m")
    Duration transferTimeout();

    /** Timeout of the readiness check's bucket lookup. */
    @WithDefault("3s")
    Duration healthTimeout();
}
