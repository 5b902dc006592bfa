package dev.vbank.artifacts;

import dev.vbank.testkit.Ports;
import dev.vbank.testkit.S3Server;
import dev.vbank.testkit.SharedInfra;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class S3BucketReadinessCheckTest {

    record Config(String endpoint, String accessKey, String secretKey, String bucket) implements S3Config {
        @Override
        public String region() {
            return S3Server.REGION;
        }

        @Override
        public Duration connectTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public Duration transferTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public Duration healthTimeout() {
            return Duration.ofSeconds(1);
        }
    }

    @Test
    void upForAnExistingBucketDownForAMissingOne() throws Exception {
        S3Server s3 = SharedInfra.s3();
        assertThat(status(new Config(s3.endpoint(), s3.accessKey(), s3.secretKey(), "vbank")).getStatus())
                .isEqualTo(HealthCheckResponse.Status.UP);

        HealthCheckResponse missing = status(new Config(s3.endpoint(), s3.accessKey(), s3.secretKey(), "no-such-bucket"));
        assertThat(missing.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(missing.getData().orElseThrow()).containsEntry("reason", "bucket does not exist");
    }

    @Test
    void downWithAReasonWhenNothingListens() throws Exception {
        HealthCheckResponse response = status(new Config("http://127.0.0.1:" + Ports.free(), "k", "s", "vbank"));
        assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(response.getData().orElseThrow()).containsKey("reason");
    }

    private static HealthCheckResponse status(S3Config config) throws Exception {
        S3BucketReadinessCheck check = new S3BucketReadinessCheck(config);
        try {
            return check.call();
        } finally {
            check.close();
        }
    }
}
