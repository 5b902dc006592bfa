package dev.vbank.scheduler;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** The service as deployed: its own timers validate, dispatch, publish and reap; only the worker is played by the test. */
@QuarkusTest
@TestProfile(EndToEndLoopsTest.LoopsOn.class)
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class EndToEndLoopsTest {

    public static class LoopsOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "vbank.scheduler.loops-enabled", "true",
                    "vbank.scheduler.validate-interval", "100ms",
                    "vbank.scheduler.dispatch-interval", "100ms",
                    "vbank.scheduler.publish-interval", "50ms",
                    "vbank.scheduler.reap-interval", "200ms",
                    "vbank.scheduler.lease", "4s");
        }
    }

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    DataSource dataSource;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    String status(String tenant, String id) {
        return given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then().statusCode(200).extract().path("status");
    }

    @Test
    void aJobGoesFromCreationToSuccessThroughTheLoopsAndKafka() throws Exception {
        TestSupport.reset(dataSource);
        String tenant = TestSupport.tenant("e2e");
        ArtifactStub.put(tenant, "file-e2e", "processed");
        try (KafkaConsumer<String, String> dispatch = TestSupport.tail(bootstrap, Topics.JOB_DISPATCH)) {
            String id = given().contentType(ContentType.JSON).header("Idempotency-Key", "e2e-1")
                    .body("{\"model\": \"all-minilm-l6-v2\", \"training_file\": \"file-e2e\", \"method\": {\"type\": \"vblora\"}}")
                    .post("/internal/tenants/{t}/jobs", tenant).then().statusCode(200).extract().path("id");

            // no worker picks the attempt up: the reaper requeues it and the dispatcher sends the same attempt again
            // under a new lease
            List<ConsumerRecord<String, String>> records = TestSupport.poll(dispatch, 2, WAIT, r -> r.key().equals(id));
            assertThat(records).as("a DispatchJob, then another after the lease ran out").hasSizeGreaterThanOrEqualTo(2);
            List<DispatchJob> attempts = new java.util.ArrayList<>();
            for (ConsumerRecord<String, String> r : records) {
                attempts.add(Json.mapper().readValue(r.value(), DispatchJob.class));
            }
            assertThat(attempts.get(0).attempt()).isEqualTo(1);
            assertThat(attempts.get(1).attempt()).isEqualTo(1);
            assertThat(attempts.get(1).leaseToken()).isNotEqualTo(attempts.get(0).leaseToken());
            DispatchJob last = attempts.get(attempts.size() - 1);

            WorkerEvent done = new WorkerEvent(id, last.attempt(), last.leaseToken(), "worker-e2e", WorkerEvent.Kind.SUCCEEDED,
                    new JobEvent("ev-e2e-done", JobEvent.OBJECT, 0, EventLevel.INFO, EventType.MESSAGE, "finished",
                            Map.of("step", 12, "adapter_id", "adapter-e2e")));
            TestSupport.produce(bootstrap, Topics.JOB_EVENTS, id, Json.mapper().writeValueAsString(done));
            TestSupport.await(WAIT, "success", () -> "succeeded".equals(status(tenant, id)));
            given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                    .body("adapter_id", org.hamcrest.Matchers.is("adapter-e2e"))
                    .body("trained_steps", org.hamcrest.Matchers.is(12));
            assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox where published_at is null"))
                    .isZero();
            String metrics = given().accept(ContentType.TEXT).get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(metrics).contains("vbank_scheduler_dispatched_total", "vbank_scheduler_outbox_published_total",
                    "vbank_scheduler_leases_expired_total{outcome=\"queued\"", "vbank_scheduler_worker_events_total");
        }
    }
}
