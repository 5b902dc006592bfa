package dev.vbank.common.sse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a {@code text/event-stream} over the JDK HTTP client, one connection per {@link #follow} call. It remembers the
 * last event id across connections and sends it as {@code Last-Event-ID} on the next one, so a caller that reconnects
 * after a dropped stream sees every event once. How often and how long to reconnect is the caller's policy.
 */
public final class SseClient {

    /** Takes one event; answers true to stop reading. */
    @FunctionalInterface
    public interface Handler {
        boolean onEvent(SseParser.Event event) throws IOException;
    }

    /** The stream was refused: a status other than 200, with the start of the body the server sent. */
    public static final class RefusedException extends IOException {
        private final int status;
        private final String body;

        RefusedException(int status, String body) {
            super("the event stream answered HTTP " + status + ": " + body);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    private final HttpClient http;
    private final SseParser parser = new SseParser();

    public SseClient(HttpClient http) {
        this.http = http;
    }

    /** A client that only {@link #read reads} streams its caller opened. */
    public SseClient() {
        this(null);
    }

    /**
     * Opens the stream {@code request} names (adding {@code Accept} and, after an earlier event, {@code Last-Event-ID}) and
     * reads it until the handler stops (true) or the stream ends (false).
     */
    public boolean follow(HttpRequest.Builder request, Handler handler) throws IOException, InterruptedException {
        request.header("Accept", "text/event-stream");
        if (lastEventId() != null) {
            request.header("Last-Event-ID", lastEventId());
        }
        HttpResponse<InputStream> r = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            }
            throw new RefusedException(r.statusCode(), body);
        }
        return read(r.body(), handler);
    }

    /** Reads an open stream (closing it at the end) until the handler stops (true) or the stream ends (false). */
    public boolean read(InputStream body, Handler handler) throws IOException {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Optional<SseParser.Event> event = parser.line(line);
                if (event.isPresent() && handler.onEvent(event.get())) {
                    return true;
                }
            }
            return false;
        } finally {
            parser.reset(); // an event cut off by the end of the stream is dropped, as the spec says
        }
    }

    /** The id of the last event seen on any connection, or null before the first. */
    public String lastEventId() {
        return parser.lastEventId();
    }

    /** The reconnection delay the server asked for, if it did. */
    public Optional<Long> retryMillis() {
        return parser.retryMillis();
    }

    /** The events of a whole stream body held in memory (a stream that already ended). */
    public static List<SseParser.Event> parse(String body) {
        List<SseParser.Event> events = new ArrayList<>();
        try {
            new SseClient().read(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)),
                    e -> !events.add(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return events;
    }
}
