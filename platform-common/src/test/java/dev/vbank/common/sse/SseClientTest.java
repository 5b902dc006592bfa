package dev.vbank.common.sse;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseClientTest {

    private static final int EVENTS = 5;

    private HttpServer server;
    private final List<String> lastEventIdsSeen = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Serves events 1..5 after the Last-Event-ID it is sent; the first connection drops after two events. */
    private URI serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/events", this::events);
        server.createContext("/refused", ex -> {
            byte[] body = "{\"error\":{\"code\":\"not_found\"}}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(404, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void events(HttpExchange ex) throws IOException {
        String last = ex.getRequestHeaders().getFirst("Last-Event-ID");
        lastEventIdsSeen.add(String.valueOf(last));
        int from = last == null ? 1 : Integer.parseInt(last) + 1;
        int to = last == null ? 2 : EVENTS;
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(": keep-alive\n\nretry: 250\n\n".getBytes(StandardCharsets.UTF_8));
            for (int i = from; i <= to; i++) {
                out.write(("id: " + i + "\nevent: job\ndata: {\"n\":\ndata: " + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            if (last == null) {
                out.write("id: 99\ndata: cut off".getBytes(StandardCharsets.UTF_8)); // no blank line: never dispatched
            }
        }
    }

    @Test
    void resumesAfterADroppedStreamWithLastEventIdAndSeesEveryEventOnce() throws Exception {
        URI base = serve();
        SseClient client = new SseClient(HttpClient.newHttpClient());
        List<SseParser.Event> seen = new ArrayList<>();
        int connections = 0;
        boolean stopped = false;
        while (!stopped && connections < 5) {
            connections++;
            stopped = client.follow(HttpRequest.newBuilder(base.resolve("/events")), e -> {
                seen.add(e);
                return e.id().equals(String.valueOf(EVENTS));
            });
        }
        assertThat(stopped).isTrue();
        assertThat(connections).isEqualTo(2);
        assertThat(seen).extracting(SseParser.Event::id).containsExactly("1", "2", "3", "4", "5");
        assertThat(seen).extracting(SseParser.Event::type).containsOnly("job");
        assertThat(seen.get(2).data()).isEqualTo("{\"n\":\n3}");
        // the id of the event cut off by the drop was never dispatched: the resume starts after event 2
        assertThat(lastEventIdsSeen).containsExactly("null", "2");
        assertThat(client.retryMillis()).contains(250L);
    }

    @Test
    void aRefusedStreamThrowsWithTheStatusAndBody() throws Exception {
        URI base = serve();
        SseClient client = new SseClient(HttpClient.newHttpClient());
        assertThatThrownBy(() -> client.follow(HttpRequest.newBuilder(base.resolve("/refused")), e -> true))
                .isInstanceOfSatisfying(SseClient.RefusedException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.body()).contains("not_found");
                });
    }

    @Test
    void parsesAWholeBody() {
        List<SseParser.Event> events = SseClient.parse("id: a\ndata: 1\n\n: comment\nid: b\ndata: 2\n\n");
        assertThat(events).containsExactly(new SseParser.Event("a", "message", "1"),
                new SseParser.Event("b", "message", "2"));
    }
}
