package dev.vbank.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** jobs watch over a stream that drops: it reconnects with Last-Event-ID and neither repeats nor loses an event. */
class JobWatchTest {

    @TempDir
    Path home;
    final FakeApi api;

    JobWatchTest() throws Exception {
        api = new FakeApi();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static String step(int s, int total) {
        return "{\"id\":\"ev-" + s + "\",\"type\":\"metrics\",\"level\":\"info\",\"message\":\"Step " + s + "\",\"data\":"
                + "{\"step\":" + s + ",\"total_steps\":" + total + ",\"train_loss\":" + (1.0 / s) + ",\"eta_seconds\":"
                + (total - s) + "}}";
    }

    static String state(String id, String status) {
        return "{\"id\":\"" + id + "\",\"type\":\"state\",\"level\":\"info\",\"message\":\"Job " + status + "\",\"data\":"
                + "{\"status\":\"" + status + "\"}}";
    }

    static void sse(com.sun.net.httpserver.HttpExchange ex, List<String> events, String preamble) throws java.io.IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(preamble.getBytes(StandardCharsets.UTF_8));
            for (String e : events) {
                String id = ApiClient.JSON.readTree(e).path("id").asText();
                out.write((": tick\nid: " + id + "\ndata: " + e + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
    }

    int watch(String terminal, StringWriter out) {
        List<String> all = new ArrayList<>();
        all.add(state("st-1", "running"));
        for (int s = 1; s <= 6; s++) {
            all.add(step(s, 6));
        }
        all.add(state("st-2", terminal));
        List<String> lastEventIds = new ArrayList<>();
        AtomicInteger connections = new AtomicInteger();
        api.routes.put("GET /v1/fine_tuning/jobs/ftjob-1/events", (r, ex) -> {
            assertThat(r.header("Accept")).isEqualTo("text/event-stream");
            lastEventIds.add(r.header("Last-Event-ID"));
            if (connections.getAndIncrement() == 0) {
                sse(ex, all.subList(0, 4), "retry: 150\n\n"); // drops after step 3
            } else {
                String after = r.header("Last-Event-ID");
                int from = 0;
                while (!ApiClient.JSON.readTree(all.get(from)).path("id").asText().equals(after)) {
                    from++;
                }
                sse(ex, all.subList(from + 1, all.size()), "");
            }
        });
        api.json("GET /v1/fine_tuning/jobs/ftjob-1", 200, "{\"id\":\"ftjob-1\",\"status\":\"running\",\"trained_steps\":6,"
                + "\"adapter_id\":" + (terminal.equals("succeeded") ? "\"adapter-1\"" : "null") + ",\"error\":null,"
                + "\"evaluation_id\":" + (terminal.equals("succeeded") ? "\"eval-1\"" : "null") + "}");
        int exit = VbankCli.run(new String[]{"jobs", "watch", "ftjob-1", "--progress=plain", "--endpoint", api.endpoint(),
                        "--api-key", "k"}, Map.of(), home, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                false, new ByteArrayInputStream(new byte[0]));
        assertThat(connections.get()).isEqualTo(2);
        assertThat(lastEventIds).containsExactly(null, "ev-3");
        return exit;
    }

    @Test
    void reconnectsAfterADropAndEndsZeroOnSuccess() {
        StringWriter out = new StringWriter();
        assertThat(watch("succeeded", out)).isEqualTo(Exit.OK);
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.stream().filter(l -> l.contains("loss")).map(l -> l.replaceAll(".*step (\\d+)/6.*", "$1")))
                .containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(lines).contains("[running] Job running", "[succeeded] Job succeeded");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("job ftjob-1 succeeded: adapter adapter-1, 6 steps, "
                + "evaluation eval-1 (vbank evals get eval-1 --wait)");
    }

    @Test
    void failedAndCancelledJobsEndNonZero() {
        assertThat(watch("failed", new StringWriter())).isEqualTo(Exit.FAILED);
    }

    @Test
    void cancelledJobEndsSix() {
        assertThat(watch("cancelled", new StringWriter())).isEqualTo(Exit.CANCELLED);
    }

    @Test
    void aStreamThatEndsAfterTheJobEndedIsCompletedFromTheEventPages() throws Exception {
        api.routes.put("GET /v1/fine_tuning/jobs/ftjob-2/events", (r, ex) -> {
            if ("text/event-stream".equals(r.header("Accept"))) {
                sse(ex, List.of(state("st-1", "running"), step(1, 2)), "");
            } else {
                assertThat(r.query()).isEqualTo("limit=100&after=ev-1");
                FakeApi.send(ex, 200, "application/json", "{\"object\":\"list\",\"has_more\":false,\"data\":["
                        + step(2, 2) + "," + state("st-2", "succeeded") + "]}");
            }
        });
        api.json("GET /v1/fine_tuning/jobs/ftjob-2", 200, "{\"id\":\"ftjob-2\",\"status\":\"succeeded\",\"trained_steps\":2}");
        StringWriter out = new StringWriter();
        int exit = VbankCli.run(new String[]{"jobs", "watch", "ftjob-2", "--progress=bar", "--endpoint", api.endpoint(),
                        "--api-key", "k"}, Map.of(), home, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                false, new ByteArrayInputStream(new byte[0]));
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("\r").contains("step 1/2  50%").contains("step 2/2 100%")
                .contains("[succeeded] Job succeeded");
    }

    @Test
    void anApiThatGoesAwayForAWhileIsWaitedFor() throws Exception {
        int port = api.server.getAddress().getPort();
        api.routes.put("GET /v1/fine_tuning/jobs/ftjob-3/events", (r, ex) -> {
            sse(ex, List.of(state("st-1", "running"), step(1, 2)), "retry: 100\n\n");
            new Thread(api::close).start(); // the gateway goes down right after this stream
        });
        api.json("GET /v1/fine_tuning/jobs/ftjob-3", 200, "{\"id\":\"ftjob-3\",\"status\":\"running\"}");
        java.util.List<String> lastEventIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread restart = new Thread(() -> {
            try {
                Thread.sleep(1500);
                FakeApi second = new FakeApi(port);
                restarted[0] = second;
                second.routes.put("GET /v1/fine_tuning/jobs/ftjob-3/events", (r, ex) -> {
                    lastEventIds.add(r.header("Last-Event-ID"));
                    sse(ex, List.of(step(2, 2), state("st-2", "succeeded")), "");
                });
                second.json("GET /v1/fine_tuning/jobs/ftjob-3", 200, "{\"id\":\"ftjob-3\",\"status\":\"running\"}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        restart.start();
        StringWriter out = new StringWriter();
        try {
            int exit = VbankCli.run(new String[]{"jobs", "watch", "ftjob-3", "--progress=plain", "--endpoint",
                            "http://127.0.0.1:" + port, "--api-key", "k"}, Map.of(), home, new PrintWriter(out, true),
                    new PrintWriter(new StringWriter(), true), false, new ByteArrayInputStream(new byte[0]));
            assertThat(exit).as(out.toString()).isZero();
        } finally {
            restart.join();
            if (restarted[0] != null) {
                restarted[0].close();
            }
        }
        assertThat(lastEventIds).containsExactly("ev-1");
        assertThat(out.toString()).contains("connection lost").contains("step 1/2").contains("step 2/2")
                .contains("[succeeded]");
    }

    final FakeApi[] restarted = new FakeApi[1];

    @Test
    void anEndpointThatNeverAnsweredFailsAtOnce() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int exit = VbankCli.run(new String[]{"jobs", "watch", "ftjob-1", "--endpoint", "http://127.0.0.1:" + port,
                "--api-key", "k"}, Map.of(), home, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                false, new ByteArrayInputStream(new byte[0]));
        assertThat(exit).isEqualTo(Exit.CONNECTION);
        assertThat(err.toString()).contains("http://127.0.0.1:" + port);
        assertThat(System.nanoTime() - t0).isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    void unknownJobIsAnApiError() {
        StringWriter err = new StringWriter();
        int exit = VbankCli.run(new String[]{"jobs", "watch", "ftjob-404", "--endpoint", api.endpoint(), "--api-key", "k"},
                Map.of(), home, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), false,
                new ByteArrayInputStream(new byte[0]));
        assertThat(exit).isEqualTo(Exit.API_ERROR);
        assertThat(err.toString()).contains("HTTP 404");
    }
}
