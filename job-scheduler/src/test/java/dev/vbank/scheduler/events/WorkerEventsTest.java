package dev.vbank.scheduler.events;

import dev.vbank.common.command.CancelJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.dispatch.Dispatcher;
import dev.vbank.scheduler.dispatch.OutboxPublisher;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** Worker events travel through the real Kafka topic and the scheduler's own consumer group. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class WorkerEventsTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    DataSource dataSource;
    @Inject
    Dispatcher dispatcher;
    @Inject
    OutboxPublisher publisher;
    @Inject
    WorkerEventHandler handler;
    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    String tenant;
    JobRow job;

    @BeforeEach
    void aRunningJob() throws Exception {
        TestSupport.reset(dataSource);
        tenant = TestSupport.tenant("events");
        TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        job = dispatcher.dispatchOnce().get(0);
    }

    void send(WorkerEvent.Kind kind, String eventId, String message, Map<String, Object> data) throws Exception {
        send(job.leaseToken(), kind, eventId, message, data);
    }

    void send(String leaseToken, WorkerEvent.Kind kind, String eventId, String message, Map<String, Object> data)
            throws Exception {
        JobEvent event = eventId == null ? null : new JobEvent(eventId, JobEvent.OBJECT,
                System.currentTimeMillis() / 1000, kind == WorkerEvent.Kind.FAILED ? EventLevel.ERROR : EventLevel.INFO,
                kind == WorkerEvent.Kind.PROGRESS ? EventType.METRICS : EventType.MESSAGE, message, data);
        WorkerEvent we = new WorkerEvent(job.id(), job.attempt(), leaseToken, "worker-1", kind, event);
        TestSupport.produce(bootstrap, Topics.JOB_EVENTS, job.id(), Json.mapper().writeValueAsString(we));
    }

    /** A marker event sent last: once it is stored, everything sent before it on the partition was consumed. */
    void drain() throws Exception {
        String marker = "ev-marker-" + UUID.randomUUID();
        send(WorkerEvent.Kind.PROGRESS, marker, "marker", Map.of());
        TestSupport.await(WAIT, "the marker event", TestSupport.sql(() -> events(marker) == 1));
    }

    long events(String id) throws Exception {
        return TestSupport.count(dataSource, "select count(*) from scheduler.job_events where id = ?", id);
    }

    Object column(String column) throws Exception {
        return TestSupport.scalar(dataSource, "select " + column + " from scheduler.jobs where id = ?", job.id());
    }

    @Test
    void theSameEventTwiceIsStoredAndAppliedOnce() throws Exception {
        send(WorkerEvent.Kind.PROGRESS, "ev-progress-1", "step 10/100", Map.of("step", 10, "estimated_finish", 4_000_000_000L));
        send(WorkerEvent.Kind.PROGRESS, "ev-progress-1", "step 10/100", Map.of("step", 10, "estimated_finish", 4_000_000_000L));
        drain();
        assertThat(events("ev-progress-1")).isEqualTo(1);
        assertThat(column("trained_steps")).isEqualTo(10L);
        assertThat(column("lease_owner")).isEqualTo("worker-1");
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, job.id()).then().statusCode(200)
                .body("trained_steps", is(10)).body("estimated_finish", is(4_000_000_000L));
        given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, job.id()).then().statusCode(200)
                .body("data.findAll { it.id == 'ev-progress-1' }.size()", is(1))
                .body("data.find { it.id == 'ev-progress-1' }.type", is("metrics"))
                .body("data.find { it.id == 'ev-progress-1' }.data.step", is(10));
    }

    @Test
    void heartbeatsExtendTheLeaseAndStepsNeverGoBack() throws Exception {
        Timestamp before = (Timestamp) column("lease_expires_at");
        Thread.sleep(50);
        send(WorkerEvent.Kind.HEARTBEAT, null, null, null);
        TestSupport.await(WAIT, "a longer lease", TestSupport.sql(() -> ((Timestamp) column("lease_expires_at")).after(before)));
        send(WorkerEvent.Kind.PROGRESS, "ev-p-20", "step 20", Map.of("step", 20));
        send(WorkerEvent.Kind.PROGRESS, "ev-p-15", "step 15 (late)", Map.of("step", 15));
        drain();
        assertThat(column("trained_steps")).isEqualTo(20L);
        assertThat(TestSupport.count(dataSource,
                "select count(*) from scheduler.job_events where job_id = ? and message like 'heartbeat%'", job.id()))
                .as("heartbeats are not logged").isZero();
    }

    @Test
    void unreadableOrIncompleteEventsAreDroppedWithoutWriting() throws Exception {
        assertThat(handler.handle("{not json")).isEqualTo(WorkerEventHandler.Outcome.REJECTED);
        assertThat(handler.handle("{\"job_id\": \"" + job.id() + "\", \"surprise\": 1}"))
                .isEqualTo(WorkerEventHandler.Outcome.REJECTED);
        WorkerEvent noId = new WorkerEvent(job.id(), job.attempt(), job.leaseToken(), "w", WorkerEvent.Kind.PROGRESS, null);
        assertThat(handler.handle(noId)).isEqualTo(WorkerEventHandler.Outcome.REJECTED);
        WorkerEvent unknownJob = new WorkerEvent("ftjob-nope", 1, "t", "w", WorkerEvent.Kind.HEARTBEAT, null);
        assertThat(handler.handle(unknownJob)).isEqualTo(WorkerEventHandler.Outcome.UNKNOWN_JOB);
        // a poison record on the topic does not stop the consumer: later events still apply
        TestSupport.produce(bootstrap, Topics.JOB_EVENTS, job.id(), "{not json");
        drain();
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.job_events where job_id = ?", job.id()))
                .as("the dispatch state event and the marker").isEqualTo(2);
    }

    @Test
    void anEventWhoseTransactionFailsIsRetriedNotLost() throws Exception {
        // the record's offset is committed only after its transaction: while the database refuses it, it is re-read
        TestSupport.update(dataSource, "alter table scheduler.job_events add constraint refuse check (false) not valid");
        try {
            var errors = registry.counter("vbank.scheduler.worker.events", "outcome", "error");
            double before = errors.count();
            send(WorkerEvent.Kind.PROGRESS, "ev-retried", "step 7", Map.of("step", 7));
            TestSupport.await(WAIT, "two failed attempts", () -> errors.count() >= before + 2);
            assertThat(events("ev-retried")).isZero();
        } finally {
            TestSupport.update(dataSource, "alter table scheduler.job_events drop constraint refuse");
        }
        TestSupport.await(WAIT, "the retried event", TestSupport.sql(() -> events("ev-retried") == 1));
        assertThat(column("trained_steps")).isEqualTo(7L);
    }

    @Test
    void eventsOfAnotherLeaseAreIgnored() throws Exception {
        send("not-the-lease", WorkerEvent.Kind.SUCCEEDED, "ev-stale", "done", Map.of("adapter_id", "adapter-x"));
        drain();
        assertThat(events("ev-stale")).isZero();
        assertThat(column("status")).isEqualTo("running");
        assertThat(column("adapter_id")).isNull();
    }

    @Test
    void checkpointsAreRecordedAndSuccessFinishesTheJob() throws Exception {
        String key = "tenants/" + tenant + "/checkpoints/" + job.id() + "/50";
        send(WorkerEvent.Kind.CHECKPOINT_UPLOADED, "ev-ckpt-50", "checkpoint at step 50",
                Map.of("step", 50, "object_key", key, "bytes", 12345, "sha256", "ab".repeat(32)));
        send(WorkerEvent.Kind.SUCCEEDED, "ev-done", "training finished", Map.of("step", 100, "adapter_id", "adapter-123"));
        TestSupport.await(WAIT, "success", TestSupport.sql(() -> "succeeded".equals(column("status"))));

        assertThat(column("adapter_id")).isEqualTo("adapter-123");
        assertThat(column("trained_steps")).isEqualTo(100L);
        assertThat(column("last_checkpoint_key")).isEqualTo(key);
        assertThat(column("lease_token")).isNull();
        given().get("/internal/tenants/{t}/jobs/{id}/checkpoints", tenant, job.id()).then().statusCode(200)
                .body("data.size()", is(1))
                .body("data[0].step_number", is(50))
                .body("data[0].object_key", is(key))
                .body("data[0].bytes", is(12345))
                .body("data[0].fine_tuning_job_id", is(job.id()));
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, job.id()).then()
                .body("status", is("succeeded")).body("adapter_id", is("adapter-123"));
        List<String> states = given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, job.id()).then()
                .extract().jsonPath().getList("data.findAll { it.type == 'state' }.data.status");
        assertThat(states).containsExactly("running", "succeeded");

        // the job is finished and its lease gone: a late failure from the same worker changes nothing
        WorkerEvent late = new WorkerEvent(job.id(), job.attempt(), job.leaseToken(), "worker-1", WorkerEvent.Kind.FAILED,
                new JobEvent("ev-late", JobEvent.OBJECT, 0, EventLevel.ERROR, EventType.MESSAGE, "boom", Map.of()));
        assertThat(handler.handle(Json.mapper().writeValueAsString(late))).isEqualTo(WorkerEventHandler.Outcome.STALE);
        assertThat(column("status")).isEqualTo("succeeded");
        assertThat(events("ev-late")).isZero();
    }

    @Test
    void failureCarriesTheWorkersErrorCode() throws Exception {
        send(WorkerEvent.Kind.FAILED, "ev-fail", "training file has no label column",
                Map.of("error_code", "invalid_training_data", "error_param", "training_file"));
        TestSupport.await(WAIT, "failure", TestSupport.sql(() -> "failed".equals(column("status"))));
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, job.id()).then()
                .body("error.code", is("invalid_training_data"))
                .body("error.message", is("training file has no label column"))
                .body("error.param", is("training_file"));
    }

    @Test
    void cancellingARunningJobTellsTheWorkerAndItsCancelledEventFinishesIt() throws Exception {
        try (KafkaConsumer<String, String> control = TestSupport.tail(bootstrap, Topics.JOB_CONTROL)) {
            given().post("/internal/tenants/{t}/jobs/{id}/cancel", tenant, job.id()).then().statusCode(200)
                    .body("status", is("cancelling"));
            given().post("/internal/tenants/{t}/jobs/{id}/cancel", tenant, job.id()).then().statusCode(200)
                    .body("status", is("cancelling"));
            assertThat(publisher.publishOnce()).isGreaterThanOrEqualTo(1);
            List<ConsumerRecord<String, String>> received = TestSupport.poll(control, 1, WAIT,
                    r -> r.key().equals(job.id()));
            assertThat(received).hasSize(1);
            CancelJob cancel = Json.mapper().readValue(received.get(0).value(), CancelJob.class);
            assertThat(cancel.jobId()).isEqualTo(job.id());
            assertThat(cancel.attempt()).isEqualTo(1);
        }
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox where topic = ? and key = ?",
                Topics.JOB_CONTROL, job.id())).as("one cancel command for two requests").isEqualTo(1);

        send(WorkerEvent.Kind.CANCELLED, "ev-cancelled", "stopped at step 30", Map.of("step", 30));
        TestSupport.await(WAIT, "cancelled", TestSupport.sql(() -> "cancelled".equals(column("status"))));
        assertThat(column("finished_at")).isNotNull();
    }
}
