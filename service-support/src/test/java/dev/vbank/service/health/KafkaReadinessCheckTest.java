package dev.vbank.service.health;

import dev.vbank.testkit.Ports;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaReadinessCheckTest {

    @Test
    void downWithAReasonWhenNoBrokerListens() {
        KafkaReadinessCheck check = new KafkaReadinessCheck("localhost:" + Ports.free(), Duration.ofSeconds(1));
        try {
            long start = System.nanoTime();
            HealthCheckResponse response = check.call();
            assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
            assertThat(response.getData()).hasValueSatisfying(data -> assertThat(data).containsKey("reason"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            check.close();
        }
    }
}
