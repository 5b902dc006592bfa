package dev.vbank.scheduler;

import dev.vbank.service.health.KafkaReadinessCheck;
import dev.vbank.testkit.Await;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
class JobSchedulerStartupTest {

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "quarkus.application.version")
    String version;

    @Test
    void readyWithDatabaseAndKafkaChecksUp() {
        // the first Kafka/S3 round trip can outlast a check's short timeout on a loaded machine; a probe retries too
        Await.until("ready", Duration.ofSeconds(30), () -> given().get("/q/health/ready").statusCode() == 200);
        given().get("/q/health/ready").then()
                .statusCode(200)
                .body("status", is("UP"))
                .body("checks.name", hasItems("Database connections health check", KafkaReadinessCheck.NAME))
                .body("checks.status", everyItem(is("UP")))
                .body("checks.find { it.name == 'Kafka cluster' }.data.nodes", notNullValue());
    }

    @Test
    void servesPrometheusMetrics() {
        String body = given().accept(ContentType.TEXT).get("/q/metrics").then()
                .statusCode(200)
                .contentType(containsString("text/plain"))
                .extract().asString();
        assertThat(body).contains("# TYPE jvm_threads_live_threads gauge")
                .contains("agroal_active_count");
    }

    @Test
    void flywayMigratedTheServiceSchema() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select service, version from scheduler.service_info")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("service")).isEqualTo("job-scheduler");
                assertThat(rs.getString("version")).isEqualTo(version).isNotBlank();
                assertThat(rs.next()).as("exactly one marker row").isFalse();
            }
            try (ResultSet rs = st.executeQuery(
                    "select success from scheduler.flyway_schema_history where version = '1'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean("success")).isTrue();
            }
        }
    }
}
