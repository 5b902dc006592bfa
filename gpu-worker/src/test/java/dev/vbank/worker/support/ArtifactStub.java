package dev.vbank.worker.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vbank.vblora.format.CompactFormat;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny real HTTP server implementing the artifact-service endpoints a worker calls, as the contract in
 * docs/ARCHITECTURE.md describes them, over memory: file metadata and content (with {@code X-Vbank-Sha256}), checkpoint
 * PUT and content, adapter POST (compact format checked with the engine's reader, idempotent per job) and content GET.
 */
public class ArtifactStub implements QuarkusTestResourceLifecycleManager {

    public record StoredFile(String id, String filename, byte[] bytes, String sha256) {
    }

    public record StoredAdapter(String id, String jobId, Map<String, String> query, byte[] bytes) {
    }

    private static final Map<String, StoredFile> FILES = new ConcurrentHashMap<>();
    private static final Map<String, byte[]> CHECKPOINTS = new ConcurrentHashMap<>();
    private static final Map<String, StoredAdapter> ADAPTERS = new ConcurrentHashMap<>();
    private static final Map<String, byte[]> BANKS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();
    private static HttpServer server;

    /** Stores a processed file and returns its id. */
    public static String putFile(String tenant, String filename, byte[] bytes) {
        String id = "file-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        FILES.put(tenant + "/" + id, new StoredFile(id, filename, bytes, sha256(bytes)));
        return id;
    }

    public static String fileSha256(String tenant, String fileId) {
        return FILES.get(tenant + "/" + fileId).sha256();
    }

    /** Flips a byte of the stored content but keeps the recorded sha256, like bit rot in the object store. */
    public static void corrupt(String tenant, String fileId) {
        StoredFile f = FILES.get(tenant + "/" + fileId);
        byte[] b = f.bytes().clone();
        b[b.length / 2] ^= 0x20;
        FILES.put(tenant + "/" + fileId, new StoredFile(f.id(), f.filename(), b, f.sha256()));
    }

    /** Stores adapter bytes as if a job had uploaded them; returns the adapter id. */
    public static String putAdapter(String tenant, String jobId, byte[] bytes) {
        String id = "adapter-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        ADAPTERS.put(tenant + "/" + jobId, new StoredAdapter(id, jobId, Map.of(), bytes));
        return id;
    }

    /** A published vector bank the tenant may use: {@code GET .../vector_banks/{id}/content} serves these bytes. */
    public static void putVectorBank(String tenant, String bankId, byte[] bankFile) {
        BANKS.put(tenant + "/" + bankId, bankFile);
    }

    public static StoredAdapter adapterOf(String tenant, String jobId) {
        return ADAPTERS.get(tenant + "/" + jobId);
    }

    public static boolean hasCheckpoint(String tenant, String jobId, long step) {
        return CHECKPOINTS.containsKey(tenant + "/" + jobId + "/" + step);
    }

    /** The next {@code times} requests of {@code route} (as {@link #calls} names it) answer 503. */
    public static void failNext(String route, int times) {
        FAILURES.put(route, new AtomicInteger(times));
    }

    /** Requests served per route: file_meta, file_content, checkpoint_put, checkpoint_get, adapter_post, adapter_get. */
    public static int calls(String route) {
        return CALLS.computeIfAbsent(route, k -> new AtomicInteger()).get();
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
                try (exchange) {
                    try {
                        handle(exchange);
                    } catch (Unavailable e) {
                        send(exchange, 503, error("storage_unavailable", "object storage is not available; try again"),
                                null);
                    }
                } catch (RuntimeException e) {
                    send(exchange, 500, error("internal", e.toString()), null);
                }
            });
            server.start();
        }
        return Map.of("vbank.artifact-service.url", "http://localhost:" + server.getAddress().getPort());
    }

    private static void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String[] p = ex.getRequestURI().getPath().split("/");
        // ["", "internal", "tenants", tenant, kind, ...]
        String tenant = p[3];
        String kind = p.length > 4 ? p[4] : "";
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        if (kind.equals("files") && method.equals("GET") && p.length == 6) {
            count("file_meta");
            StoredFile f = FILES.get(tenant + "/" + p[5]);
            if (f == null) {
                send(ex, 404, error("file_not_found", "no such file"), null);
                return;
            }
            send(ex, 200, "{\"id\":\"" + f.id() + "\",\"object\":\"file\",\"bytes\":" + f.bytes().length
                    + ",\"created_at\":1,\"filename\":\"" + f.filename() + "\",\"purpose\":\"fine-tune\",\"sha256\":\""
                    + f.sha256() + "\",\"status\":\"processed\",\"status_details\":null}", null);
        } else if (kind.equals("files") && method.equals("GET") && p.length == 7 && p[6].equals("content")) {
            count("file_content");
            StoredFile f = FILES.get(tenant + "/" + p[5]);
            if (f == null) {
                send(ex, 404, error("file_not_found", "no such file"), null);
                return;
            }
            sendBytes(ex, 200, f.bytes(), f.sha256());
        } else if (kind.equals("checkpoints") && method.equals("PUT") && p.length == 7) {
            count("checkpoint_put");
            byte[] body = ex.getRequestBody().readAllBytes();
            long step = Long.parseLong(p[6]);
            CHECKPOINTS.put(tenant + "/" + p[5] + "/" + step, body);
            send(ex, 201, "{\"object\":\"fine_tuning.job.checkpoint\",\"job_id\":\"" + p[5] + "\",\"step\":" + step
                    + ",\"object_key\":\"tenants/" + tenant + "/checkpoints/" + p[5] + "/" + step + "\",\"bytes\":"
                    + body.length + ",\"sha256\":\"" + sha256(body) + "\",\"created_at\":1}", null);
        } else if (kind.equals("checkpoints") && method.equals("GET") && p.length == 8 && p[7].equals("content")) {
            count("checkpoint_get");
            byte[] body = CHECKPOINTS.get(tenant + "/" + p[5] + "/" + p[6]);
            if (body == null) {
                send(ex, 404, error("checkpoint_not_found", "no such checkpoint"), null);
                return;
            }
            sendBytes(ex, 200, body, sha256(body));
        } else if (kind.equals("adapters") && method.equals("POST") && p.length == 5) {
            count("adapter_post");
            byte[] body = ex.getRequestBody().readAllBytes();
            try {
                CompactFormat.read(body, ref -> BANKS.get(tenant + "/" + ref.id()));
            } catch (RuntimeException e) {
                send(ex, 400, "{\"error\":{\"code\":\"invalid_adapter\",\"message\":\"" + e.getMessage()
                        .replace("\"", "'") + "\",\"param\":\"body\"}}", null);
                return;
            }
            String jobId = query.get("job_id");
            StoredAdapter fresh = new StoredAdapter("adapter-" + UUID.randomUUID().toString().replace("-", "")
                    .substring(0, 24), jobId, query, body);
            StoredAdapter existing = ADAPTERS.putIfAbsent(tenant + "/" + jobId, fresh);
            StoredAdapter a = existing != null ? existing : fresh;
            send(ex, existing != null ? 200 : 201, "{\"id\":\"" + a.id() + "\",\"object\":\"adapter\",\"job_id\":\""
                    + jobId + "\",\"format\":\"vbank-compact\",\"bytes\":" + a.bytes().length + ",\"sha256\":\""
                    + sha256(a.bytes()) + "\"}", null);
        } else if (kind.equals("adapters") && method.equals("GET") && p.length == 7 && p[6].equals("content")) {
            count("adapter_get");
            StoredAdapter a = ADAPTERS.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(tenant + "/") && e.getValue().id().equals(p[5]))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (a == null || !"compact".equals(query.getOrDefault("format", "compact"))) {
                send(ex, 404, error("adapter_not_found", "no such adapter"), null);
                return;
            }
            sendBytes(ex, 200, a.bytes(), sha256(a.bytes()));
        } else if (kind.equals("vector_banks") && method.equals("GET") && p.length == 7 && p[6].equals("content")) {
            count("vector_bank_get");
            byte[] bank = BANKS.get(tenant + "/" + p[5]);
            if (bank == null) {
                send(ex, 404, error("vector_bank_not_found", "no such vector bank"), null);
                return;
            }
            sendBytes(ex, 200, bank, sha256(bank));
        } else {
            send(ex, 404, error("not_found", method + " " + ex.getRequestURI().getPath()), null);
        }
    }

    private static void count(String route) {
        CALLS.computeIfAbsent(route, k -> new AtomicInteger()).incrementAndGet();
        AtomicInteger failures = FAILURES.get(route);
        if (failures != null && failures.getAndDecrement() > 0) {
            throw new Unavailable();
        }
    }

    /** Answered as a 503, the way an artifact-service that lost its object store answers. */
    private static final class Unavailable extends RuntimeException {
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int i = pair.indexOf('=');
                if (i > 0) {
                    q.put(URLDecoder.decode(pair.substring(0, i), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static String error(String code, String message) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"param\":null}}";
    }

    private static void send(HttpExchange ex, int status, String json, String sha) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static void sendBytes(HttpExchange ex, int status, byte[] body, String sha) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        ex.getResponseHeaders().set("X-Vbank-Sha256", sha);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        // shared by the test classes of this JVM, like the testkit servers
    }
}
