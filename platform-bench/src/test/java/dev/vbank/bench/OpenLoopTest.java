package dev.vbank.bench;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** The generator against a real HTTP server that serves one request at a time, 20 ms each (at most 50 per second). */
class OpenLoopTest {

    HttpServer server;
    HttpClient client;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                Thread.sleep(20);
                ex.sendResponseHeaders(ex.getRequestURI().getPath().equals("/fail") ? 500 : 200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
    }

    @Test
    void requestsAreDueAtAFixedRateAndBoundedByTimeAndCount() {
        assertThat(OpenLoop.dueOffsetNanos(0, 500)).isZero();
        assertThat(OpenLoop.dueOffsetNanos(1, 500)).isEqualTo(2_000_000);
        assertThat(OpenLoop.dueOffsetNanos(500, 500)).isEqualTo(1_000_000_000);
        assertThat(OpenLoop.dueOffsetNanos(3, 3)).isEqualTo(1_000_000_000);
        assertThat(OpenLoop.plannedRequests(500, Duration.ofSeconds(20), Long.MAX_VALUE)).isEqualTo(10_000);
        assertThat(OpenLoop.plannedRequests(500, Duration.ofSeconds(20), 1_234)).isEqualTo(1_234);
        assertThat(OpenLoop.plannedRequests(0.5, Duration.ofSeconds(3), Long.MAX_VALUE)).isEqualTo(2);
    }

    @Test
    void underCapacityTheLatencyIsTheServiceTime() {
        OpenLoop.Result r = OpenLoop.run("light", client, 10, Duration.ofSeconds(2), Long.MAX_VALUE,
                Duration.ofSeconds(10), i -> get("/ok"));

        assertThat(r.sent()).isEqualTo(20);
        assertThat(r.ok()).isEqualTo(20);
        assertThat(r.latencyMicros().getTotalCount()).isEqualTo(20);
        // the service time plus whatever this (possibly busy) machine adds, far from the overloaded case below
        assertThat(r.percentileMillis(50)).isBetween(19.0, 250.0);
        assertThat(r.throughput()).isBetween(7.0, 11.0);
    }

    @Test
    void overCapacityTheQueueingCountsFromTheDueTime() {
        // 100 offered per second against 50 served: request i waits for the i before it, so the last ones are ~1 s late;
        // a closed-loop client (latency from the actual send) would see ~20 ms throughout
        OpenLoop.Result r = OpenLoop.run("heavy", client, 100, Duration.ofSeconds(1), Long.MAX_VALUE,
                Duration.ofSeconds(20), i -> get("/ok"));

        assertThat(r.sent()).isEqualTo(100);
        assertThat(r.ok()).isEqualTo(100);
        assertThat(r.percentileMillis(99)).isGreaterThan(700);
        assertThat(r.percentileMillis(50)).isGreaterThan(300);
        assertThat(r.throughput()).isLessThan(60);
    }

    @Test
    void failuresAreCountedByStatusAndUnansweredRequestsAsTimeouts() {
        OpenLoop.Result r = OpenLoop.run("mixed", client, 20, Duration.ofSeconds(1), 10, Duration.ofSeconds(10),
                i -> get(i % 2 == 0 ? "/ok" : "/fail"));

        assertThat(r.sent()).isEqualTo(10);
        assertThat(r.ok()).isEqualTo(5);
        assertThat(r.failed()).isEqualTo(5);
        assertThat(r.outcomes()).containsEntry("200", 5L).containsEntry("500", 5L);

        OpenLoop.Result late = OpenLoop.run("late", client, 100, Duration.ofMillis(500), Long.MAX_VALUE,
                Duration.ofMillis(100), i -> get("/ok"));
        assertThat(late.outcomes()).containsKey("timeout");
        assertThat(late.ok() + late.failed()).isEqualTo(late.sent());
        assertThat(late.percentileMillis(100)).isGreaterThanOrEqualTo(OpenLoop.MAX_MICROS / 1000.0 * 0.99);
    }
}
