package dev.vbank.testkit;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VbankInfraResourceTest {

    @Test
    void rejectsAnUnknownNeedNamingTheValidOnes() {
        VbankInfraResource resource = new VbankInfraResource();
        assertThatThrownBy(() -> resource.init(Map.of("needs", "postgres,redis")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis")
                .hasMessageContaining("postgres,kafka,s3");
    }

    @Test
    void startsOnlyWhatIsNeededAndReturnsWorkingConfig() throws Exception {
        VbankInfraResource resource = new VbankInfraResource();
        resource.init(Map.of("needs", " postgres "));
        Map<String, String> config = resource.start();

        assertThat(config).containsEntry("quarkus.devservices.enabled", "false")
                .containsKeys("quarkus.datasource.jdbc.url", "quarkus.datasource.username", "quarkus.datasource.password")
                .doesNotContainKeys("kafka.bootstrap.servers", "vbank.s3.endpoint");
        try (Connection c = DriverManager.getConnection(config.get("quarkus.datasource.jdbc.url"),
                config.get("quarkus.datasource.username"), config.get("quarkus.datasource.password"))) {
            assertThat(c.isValid(5)).isTrue();
        }

        VbankInfraResource again = new VbankInfraResource();
        again.init(Map.of("needs", "postgres"));
        assertThat(again.start()).as("one shared server per JVM")
                .containsEntry("quarkus.datasource.jdbc.url", config.get("quarkus.datasource.jdbc.url"));
    }
}
