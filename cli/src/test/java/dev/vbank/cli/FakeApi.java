package dev.vbank.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A recording HTTP server that answers with what a test scripts, shaped as the public API documents it: it checks what
 * the CLI sends (method, path, query, headers, body) and feeds the CLI's rendering. It does not stand in for a vbank
 * service's behaviour; CliEndToEndTest runs the CLI against the real platform.
 */
final class FakeApi implements AutoCloseable {

    record Request(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0))
                    .findFirst().orElse(null);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    interface Handler {
        void handle(Request r, HttpExchange ex) throws IOException;
    }

    final HttpServer server;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, Handler> routes = new ConcurrentHashMap<>();

    FakeApi() throws IOException {
        this(0);
    }

    FakeApi(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", ex -> {
            try (ex) {
                Request r = new Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                        ex.getRequestURI().getRawQuery(), Map.copyOf(ex.getRequestHeaders()),
                        ex.getRequestBody().readAllBytes());
                requests.add(r);
                Handler h = routes.get(r.method() + " " + r.path());
                if (h == null) {
                    send(ex, 404, "application/json", "{\"error\":{\"code\":\"not_found\",\"message\":\"no route "
                            + r.path() + "\",\"param\":\"id\"}}");
                } else {
                    h.handle(r, ex);
                }
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeApi json(String route, int status, String body) {
        routes.put(route, (r, ex) -> send(ex, status, "application/json", body));
        return this;
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    Request last(String method, String path) {
        for (int i = requests.size() - 1; i >= 0; i--) {
            if (requests.get(i).method().equals(method) && requests.get(i).path().equals(path)) {
                return requests.get(i);
            }
        }
        throw new AssertionError("no " + method + " " + path + " in " + requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
