package dev.vbank.scheduler.support;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny real HTTP server standing in for the artifact-service metadata API: {@code GET /internal/tenants/{t}/files/{id}}
 * answers {@code {"id", "status", "sha256"}} for files registered with {@link #put}, {@code GET .../adapters/{id}} the
 * metadata of adapters registered with {@link #putAdapter}; 404 otherwise (so another tenant's object is missing).
 */
public class ArtifactStub implements QuarkusTestResourceLifecycleManager {

    private static final Map<String, String> FILES = new ConcurrentHashMap<>();
    private static final Map<String, String> ADAPTERS = new ConcurrentHashMap<>();
    private static final Map<String, String> BANKS = new ConcurrentHashMap<>();
    private static final AtomicInteger REQUESTS = new AtomicInteger();
    private static final Map<String, String[]> RAW = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> DROPS = new ConcurrentHashMap<>();
    private static final List<String> PATHS = new CopyOnWriteArrayList<>();
    private static HttpServer server;

    public static void put(String tenant, String fileId, String status) {
        FILES.put(tenant + "/" + fileId, status);
    }

    /** Registers an adapter; {@code GET .../adapters/{id}} answers its metadata the way the artifact-service does. */
    public static void putAdapter(String tenant, String adapterId, String jobId, String baseModel, String method,
                                  String sha256) {
        ADAPTERS.put(tenant + "/" + adapterId, "{\"id\":\"" + adapterId + "\",\"object\":\"adapter\",\"job_id\":\""
                + jobId + "\",\"base_model\":\"" + baseModel + "\",\"method\":\"" + method + "\",\"sha256\":\""
                + sha256 + "\",\"bytes\":1000}");
    }

    /** Registers an adapter answered with exactly this metadata JSON (e.g. with a {@code config}). */
    public static void putAdapterJson(String tenant, String adapterId, String json) {
        ADAPTERS.put(tenant + "/" + adapterId, json);
    }

    /** Registers a vector bank the tenant may use; {@code GET .../vector_banks/{id}} answers this JSON. */
    public static void putVectorBank(String tenant, String bankId, String json) {
        BANKS.put(tenant + "/" + bankId, json);
    }

    public static int requests() {
        return REQUESTS.get();
    }

    /** {@code GET .../files/{id}} answers {@code status} with {@code body} as it is. */
    public static void answer(String tenant, String fileId, int status, String body) {
        RAW.put(tenant + "/" + fileId, new String[] {Integer.toString(status), body});
    }

    /** The next {@code times} requests for the file end their connection without an answer. */
    public static void dropNext(String tenant, String fileId, int times) {
        DROPS.put(tenant + "/" + fileId, new AtomicInteger(times));
    }

    /** The raw (still encoded) paths requested, oldest first. */
    public static List<String> paths() {
        return List.copyOf(PATHS);
    }

    @Override
    public synchronized Map<String, String> start() {
        if (server == null) {
            try {
                server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.createContext("/internal/tenants/", exchange -> {
                REQUESTS.incrementAndGet();
                PATHS.add(exchange.getRequestURI().getRawPath());
                String[] parts = exchange.getRequestURI().getPath().split("/");
                String key = parts.length == 6 ? parts[3] + "/" + parts[5] : "";
                AtomicInteger drops = DROPS.get(key);
                if (drops != null && drops.getAndDecrement() > 0) {
                    exchange.getResponseBody().close(); // no status line: the connection just ends
                    return;
                }
                String[] raw = RAW.get(key);
                if (raw != null) {
                    byte[] bytes = raw[1].getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(Integer.parseInt(raw[0]), bytes.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(bytes);
                    }
                    return;
                }
                // ["", "internal", "tenants", tenant, "files", id]
                String status = parts.length == 6 && parts[4].equals("files") ? FILES.get(parts[3] + "/" + parts[5]) : null;
                String adapter = parts.length == 6 && parts[4].equals("adapters")
                        ? ADAPTERS.get(parts[3] + "/" + parts[5])
                        : parts.length == 6 && parts[4].equals("vector_banks") ? BANKS.get(parts[3] + "/" + parts[5])
                        : null;
                byte[] body = adapter != null ? adapter.getBytes(StandardCharsets.UTF_8) : status == null
                        ? "{\"error\":{\"code\":\"not_found\",\"message\":\"no such object\",\"param\":\"id\"}}"
                        .getBytes(StandardCharsets.UTF_8)
                        : ("{\"id\":\"" + parts[5] + "\",\"object\":\"file\",\"status\":\"" + status
                        + "\",\"sha256\":\"sha-of-" + parts[5] + "\"}").getBytes(StandardCharsets.UTF_8);
                status = adapter != null ? "adapter" : status;
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status == null ? 404 : 200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }
        return Map.of("vbank.artifact-service.url", "http://localhost:" + server.getAddress().getPort());
    }

    @Override
    public void stop() {
        // shared by the test classes of this JVM, like the testkit servers
    }
}
