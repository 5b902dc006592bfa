package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class EventStreamTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    private String createJob(Gw.T t) {
        return Gw.as(t).contentType(ContentType.JSON).body(DelegationTest.JOB).post("/v1/fine_tuning/jobs").then()
                .statusCode(200).extract().path("id");
    }

    private String addEvent(String job, String type, String status, String message) {
        String body = "{\"type\":\"" + type + "\",\"message\":\"" + message + "\""
                + (status == null ? "" : ",\"status\":\"" + status + "\"") + "}";
        return Gw.call(stub, "POST", "/__stub/jobs/" + job + "/events", body).get("id").asText();
    }

    /** Opens a stream; the future completes with its data lines when the gateway ends it. */
    private CompletableFuture<List<String>> open(Gw.T t, String job, String lastEventId, List<String> lines) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port
                        + "/v1/fine_tuning/jobs/" + job + "/events"))
                .header("Authorization", "Bearer " + t.key()).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            try (Stream<String> s = r.body()) {
                s.forEach(lines::add);
            }
            return lines;
        });
    }

    private static List<JsonNode> events(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("data:")).map(l -> {
            try {
                return Gw.JSON.readTree(l.substring(5).strip());
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
    }

    @Test
    void streamsEventsAsTheyArriveAndEndsAfterTheTerminalState() throws Exception {
        Gw.T t = Gw.tenant("sse");
        String job = createJob(t);
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = open(t, job, null, lines);
        waitFor(() -> events(lines).size() == 1);
        assertThat(events(lines).get(0).get("data").get("status").asText()).isEqualTo("validating_files");
        String e2 = addEvent(job, "message", null, "step 1");
        waitFor(() -> events(lines).size() == 2);
        assertThat(lines).contains("id:" + e2);
        assertThat(done).isNotDone();
        addEvent(job, "state", "running", "running");
        addEvent(job, "metrics", null, "loss 0.5");
        addEvent(job, "state", "succeeded", "done");
        List<JsonNode> all = events(done.get(10, TimeUnit.SECONDS));
        assertThat(all).extracting(e -> e.get("message").asText())
                .containsExactly("Created fine-tuning job " + job, "step 1", "running", "loss 0.5", "done");
        // events after the terminal one are never sent: the stream has ended
        assertThat(all.get(4).get("object").asText()).isEqualTo("fine_tuning.job.event");
    }

    @Test
    void anIdleStreamWritesKeepAliveComments() throws Exception {
        Gw.T t = Gw.tenant("keep-alive");
        String job = createJob(t);
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = open(t, job, null, lines);
        // the test profile writes a comment after 1 s without events
        try {
            waitFor(() -> lines.stream().filter(l -> l.startsWith(":") && l.contains("keep-alive")).count() >= 2);
        } catch (AssertionError e) {
            throw new AssertionError("lines: " + lines, e);
        }
        assertThat(events(lines)).as("comments are not events").hasSize(1);
        addEvent(job, "state", "cancelled", "done");
        assertThat(events(done.get(10, TimeUnit.SECONDS))).extracting(e -> e.get("message").asText()).endsWith("done");
    }

    @Test
    void lastEventIdResumesAfterThatEvent() throws Exception {
        Gw.T t = Gw.tenant("resume");
        String job = createJob(t);
        String first = addEvent(job, "message", null, "one");
        addEvent(job, "message", null, "two");
        addEvent(job, "state", "failed", "three");
        List<JsonNode> resumed = events(open(t, job, first, new CopyOnWriteArrayList<>()).get(10, TimeUnit.SECONDS));
        assertThat(resumed).extracting(e -> e.get("message").asText()).containsExactly("two", "three");
        // resuming after the terminal event: nothing more to send, the stream ends on its own
        String last = resumed.get(1).get("id").asText();
        assertThat(events(open(t, job, last, new CopyOnWriteArrayList<>()).get(10, TimeUnit.SECONDS))).isEmpty();
    }

    @Test
    void streamErrorsAreJsonBeforeTheStreamStarts() {
        Gw.T t = Gw.tenant("sse-errors");
        Gw.as(t).accept("text/event-stream").get("/v1/fine_tuning/jobs/ftjob-none/events").then().statusCode(404)
                .body("error.code", is("job_not_found"));
        String job = createJob(t);
        Gw.as(t).accept("text/event-stream").header("Last-Event-ID", "ftevent-unknown")
                .get("/v1/fine_tuning/jobs/" + job + "/events").then().statusCode(400).body("error.param", is("after"));
        Gw.as(t).accept("text/event-stream").header("Last-Event-ID", "../x")
                .get("/v1/fine_tuning/jobs/" + job + "/events").then().statusCode(400)
                .body("error.param", is("Last-Event-ID"));
        Gw.as(Gw.tenant("intruder")).accept("text/event-stream").get("/v1/fine_tuning/jobs/" + job + "/events").then()
                .statusCode(404);
        // without Accept: text/event-stream the same path answers a JSON page
        Gw.as(t).get("/v1/fine_tuning/jobs/" + job + "/events").then().statusCode(200).contentType(ContentType.JSON)
                .body("object", is("list"));
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}
