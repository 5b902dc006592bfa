package dev.vbank.artifacts;

import io.minio.BucketExistsArgs;
import io.minio.MinioClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the configured bucket exists; uses its own client so a hung endpoint fails fast. */
@Readiness
@ApplicationScoped
public class S3BucketReadinessCheck implements HealthCheck {

    static final String NAME = "S3 bucket";

    private final S3Config config;
    private final MinioClient client;

    S3BucketReadinessCheck(S3Config config) {
        this.config = config;
        this.client = S3Clients.create(config, config.healthTimeout(), config.healthTimeout());
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named(NAME)
                .withData("endpoint", config.endpoint())
                .withData("bucket", config.bucket());
        try {
            boolean exists = client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build());
            return exists ? response.up().build() : response.down().withData("reason", "bucket does not exist").build();
        } catch (Exception e) {
            return response.down().withData("reason", e.toString()).build();
        }
    }

    @PreDestroy
    void close() throws Exception {
        client.close();
    }
}
