package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server (JDK {@link HttpServer}) standing in for the job-scheduler and the artifact-service: it implements the
 * internal endpoints the gateway calls, with the documented shapes, in memory, and records every request it gets.
 * Control endpoints under {@code /__stub/} let tests read the record, append job events, drop the next connections and
 * take the service down.
 */
public final class StubServices {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JOBS = Pattern.compile("/internal/tenants/([^/]+)/jobs(?:/([^/]+)(/[a-z]+)?)?");
    private static final Pattern EVALUATIONS = Pattern.compile("/internal/tenants/([^/]+)/evaluations");
    private static final Pattern FILES = Pattern.compile("/internal/tenants/([^/]+)/files(?:/([^/]+)(/content)?)?");
    private static final Pattern ADAPTERS = Pattern.compile("/internal/tenants/([^/]+)/adapters/([^/]+)(/content|/bank_usage)?");
    private static final Pattern BANKS = Pattern.compile("/internal/(?:tenants/([^/]+)/)?vector_banks(?:/([^/]+))?");
    private static final Pattern INFERENCE = Pattern.compile("/internal/tenants/([^/]+)/(predictions|embeddings)");
    private static final Pattern STUB_EVENTS = Pattern.compile("/__stub/jobs/([^/]+)/events");
    private static final Pattern STUB_ADAPTER = Pattern.compile("/__stub/tenants/([^/]+)/adapters/([^/]+)");

    private final HttpServer server;
    private final List<ObjectNode> requests = new ArrayList<>();
    private final Map<String, ObjectNode> jobs = new LinkedHashMap<>();
    private final Map<String, String> jobTenant = new ConcurrentHashMap<>();
    private final Map<String, List<ObjectNode>> events = new ConcurrentHashMap<>();
    private final Map<String, String> idempotency = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> files = new LinkedHashMap<>();
    private final Map<String, byte[]> fileBytes = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> adapters = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger eventSeq = new AtomicInteger();
    private volatile boolean down;
    private final AtomicInteger drops = new AtomicInteger();

    public StubServices() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            byte[] body = ex.getRequestBody().readAllBytes();
            if (path.startsWith("/__stub/")) {
                control(ex, path, body);
                return;
            }
            synchronized (this) {
                ObjectNode r = JSON.createObjectNode();
                r.put("method", ex.getRequestMethod());
                r.put("path", path);
                r.set("query", JSON.valueToTree(query));
                r.put("idempotency_key", ex.getRequestHeaders().getFirst("Idempotency-Key"));
                r.put("max_queued_jobs", ex.getRequestHeaders().getFirst("X-Vbank-Max-Queued-Jobs"));
                r.put("max_running_jobs", ex.getRequestHeaders().getFirst("X-Vbank-Max-Running-Jobs"));
                r.put("content_type", ex.getRequestHeaders().getFirst("Content-Type"));
                r.put("body_bytes", body.length);
                r.put("body_sha256", sha256(body));
                requests.add(r);
            }
            if (down || drops.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                ex.getResponseBody().close(); // no status line: the connection just ends
                return;
            }
            Matcher m;
            if ((m = EVALUATIONS.matcher(path)).matches() && ex.getRequestMethod().equals("POST")) {
                createEvaluation(ex, m.group(1));
            } else if ((m = JOBS.matcher(path)).matches()) {
                jobs(ex, m.group(1), m.group(2), m.group(3), query, body);
            } else if ((m = FILES.matcher(path)).matches()) {
                files(ex, m.group(1), m.group(2), m.group(3) != null, query, body);
            } else if ((m = ADAPTERS.matcher(path)).matches()) {
                adapters(ex, m.group(1), m.group(2), m.group(3), query, body);
            } else if ((m = BANKS.matcher(path)).matches()) {
                vectorBanks(ex, m.group(1), m.group(2), body);
            } else if ((m = INFERENCE.matcher(path)).matches()) {
                inference(ex, m.group(1), m.group(2), body);
            } else if (path.equals("/internal/base-models")) {
                ArrayNode data = JSON.createArrayNode();
                data.addObject().put("id", "all-minilm-l6-v2").put("sha256", "ab".repeat(32)).put("layers", 6);
                data.addObject().put("id", "bge-small-en-v1.5").put("sha256", "cd".repeat(32)).put("layers", 12);
                ObjectNode list = JSON.createObjectNode().put("object", "list");
                list.set("data", data);
                json(ex, 200, list);
            } else {
                error(ex, 404, "not_found", "no route " + path, null);
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    /**
     * Vector banks as the artifact-service answers them: publish (201, echoing the body), list, get, delete;
     * {@code vbank-inuse} is referenced (409), {@code vbank-other} another tenant's (404).
     */
    private void vectorBanks(HttpExchange ex, String tenant, String id, byte[] body) throws IOException {
        String method = ex.getRequestMethod();
        if (id != null && id.startsWith("vbank-other")) {
            error(ex, 404, "vector_bank_not_found", "no vector bank " + id, "id");
            return;
        }
        ObjectNode bank = JSON.createObjectNode().put("id", id == null ? "vbank-" + seq.incrementAndGet() : id)
                .put("object", "vector_bank").put("scope", tenant == null ? "platform" : "tenant")
                .put("base_model", "all-minilm-l6-v2").put("num_vectors", 90).put("vector_length", 128);
        if (id == null && method.equals("POST")) {
            JsonNode req = JSON.readTree(body);
            bank.set("request", req);
            bank.put("tenant_path", tenant);
            json(ex, 201, bank);
        } else if (id == null) {
            ObjectNode list = JSON.createObjectNode().put("object", "list").put("has_more", false);
            list.putArray("data").add(bank.put("id", "vbank-listed"));
            json(ex, 200, list);
        } else if (method.equals("DELETE")) {
            if (id.equals("vbank-inuse")) {
                error(ex, 409, "vector_bank_in_use", "vector bank " + id + " is referenced by 1 adapter", "id");
                return;
            }
            json(ex, 200, JSON.createObjectNode().put("id", id).put("object", "vector_bank").put("deleted", true));
        } else {
            json(ex, 200, bank);
        }
    }

    /** Echoes what arrived; an adapter the tenant has no stub adapter for is a 404, as the inference-service says. */
    private void inference(HttpExchange ex, String tenant, String what, byte[] body) throws IOException {
        JsonNode req = JSON.readTree(body);
        String adapter = req.path("adapter").asText(null);
        if (adapter != null && !adapters.containsKey(tenant + "/" + adapter)) {
            error(ex, 404, "not_found", "no adapter " + adapter, "adapter");
            return;
        }
        ObjectNode out = JSON.createObjectNode().put("object", "list").put("tenant", tenant).put("endpoint", what);
        out.set("request", req);
        json(ex, 200, out);
    }

    /**
     * The scheduler's admission of a new job or evaluation under the limits the gateway sends (its JobQuota): the tenant's
     * jobs waiting to start and running against {@code X-Vbank-Max-Queued-Jobs} / {@code X-Vbank-Max-Running-Jobs}.
     */
    private boolean refusedByQuota(HttpExchange ex, String tenant) throws IOException {
        String maxQueued = ex.getRequestHeaders().getFirst("X-Vbank-Max-Queued-Jobs");
        String maxRunning = ex.getRequestHeaders().getFirst("X-Vbank-Max-Running-Jobs");
        long queued = 0;
        long running = 0;
        for (ObjectNode j : jobs.values()) {
            if (tenant.equals(jobTenant.get(j.get("id").asText()))) {
                switch (j.path("status").asText()) {
                    case "validating_files", "queued" -> queued++;
                    case "running", "cancelling" -> running++;
                    default -> {
                    }
                }
            }
        }
        if (maxQueued != null && queued >= Long.parseLong(maxQueued)) {
            error(ex, 429, "quota_exceeded", "quota max_queued_jobs exceeded: the tenant has " + queued
                    + " jobs waiting to start (limit " + maxQueued + "); wait for some to start or cancel them",
                    "max_queued_jobs");
            return true;
        }
        if (maxRunning != null && running >= Long.parseLong(maxRunning)) {
            error(ex, 429, "quota_exceeded", "quota max_running_jobs exceeded: the tenant has " + running
                    + " running jobs (limit " + maxRunning + "); new jobs are accepted once one finishes",
                    "max_running_jobs");
            return true;
        }
        return false;
    }

    /** {@code POST .../evaluations}: admitted under the job limits, answered with a queued evaluation. */
    private synchronized void createEvaluation(HttpExchange ex, String tenant) throws IOException {
        if (refusedByQuota(ex, tenant)) {
            return;
        }
        json(ex, 201, JSON.createObjectNode().put("id", "eval-" + seq.incrementAndGet()).put("object", "evaluation")
                .put("status", "queued"));
    }

    private synchronized void jobs(HttpExchange ex, String tenant, String id, String action, Map<String, String> q,
                                   byte[] body) throws IOException {
        String method = ex.getRequestMethod();
        if (id == null && method.equals("POST")) {
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            if (key != null && idempotency.containsKey(tenant + "/" + key)) {
                ex.getResponseHeaders().add("Idempotent-Replayed", "true");
                json(ex, 200, jobs.get(idempotency.get(tenant + "/" + key)));
                return;
            }
            if (refusedByQuota(ex, tenant)) {
                return;
            }
            JsonNode req = JSON.readTree(body);
            if (!req.path("model").asText().equals("all-minilm-l6-v2")) {
                error(ex, 400, "invalid_request", "unknown model '" + req.path("model").asText() + "'", "model");
                return;
            }
            String jobId = "ftjob-" + String.format("%024x", seq.incrementAndGet());
            ObjectNode job = JSON.createObjectNode();
            job.put("id", jobId).put("object", "fine_tuning.job").put("created_at", 1_700_000_000L + seq.get())
                    .put("status", "validating_files").put("model", req.path("model").asText())
                    .put("training_file", req.path("training_file").asText());
            job.set("method", req.path("method"));
            job.set("metadata", req.has("metadata") ? req.get("metadata") : JSON.createObjectNode());
            jobs.put(jobId, job);
            jobTenant.put(jobId, tenant);
            events.put(jobId, new ArrayList<>());
            if (key != null) {
                idempotency.put(tenant + "/" + key, jobId);
            }
            addEvent(jobId, "state", "validating_files", "Created fine-tuning job " + jobId);
            ex.getResponseHeaders().add("Idempotent-Replayed", "false");
            json(ex, 200, job);
            return;
        }
        if (id == null) {
            List<ObjectNode> mine = new ArrayList<>();
            jobs.values().forEach(j -> {
                if (tenant.equals(jobTenant.get(j.get("id").asText())) && matchesMetadata(j, q)) {
                    mine.add(0, j);
                }
            });
            page(ex, mine, q);
            return;
        }
        ObjectNode job = jobs.get(id);
        if (job == null || !tenant.equals(jobTenant.get(id))) {
            error(ex, 404, "job_not_found", "no fine-tuning job " + id, "id");
            return;
        }
        if (action == null) {
            json(ex, 200, job);
        } else if (action.equals("/cancel") && method.equals("POST")) {
            String status = job.get("status").asText();
            if (List.of("succeeded", "failed", "cancelled").contains(status)) {
                error(ex, 409, "job_not_cancellable", "job " + id + " is already " + status, null);
                return;
            }
            addEvent(id, "state", "cancelled", "Job cancelled before it started");
            json(ex, 200, job);
        } else if (action.equals("/events")) {
            List<ObjectNode> list = events.get(id);
            int from = 0;
            if (q.containsKey("after")) {
                from = -1;
                for (int i = 0; i < list.size(); i++) {
                    if (list.get(i).get("id").asText().equals(q.get("after"))) {
                        from = i + 1;
                    }
                }
                if (from < 0) {
                    error(ex, 400, "invalid_request", "no event " + q.get("after") + " in job " + id, "after");
                    return;
                }
            }
            int limit = Integer.parseInt(q.getOrDefault("limit", "20"));
            List<ObjectNode> data = list.subList(from, Math.min(list.size(), from + limit));
            ObjectNode page = JSON.createObjectNode().put("object", "list");
            page.set("data", JSON.valueToTree(data));
            page.put("has_more", from + limit < list.size());
            json(ex, 200, page);
        } else if (action.equals("/checkpoints")) {
            ObjectNode page = JSON.createObjectNode().put("object", "list");
            page.putArray("data").addObject().put("id", "ftckpt-1-10").put("object", "fine_tuning.job.checkpoint")
                    .put("fine_tuning_job_id", id).put("step_number", 10).put("bytes", 1234);
            page.put("has_more", false);
            json(ex, 200, page);
        } else {
            error(ex, 404, "not_found", "no route", null);
        }
    }

    private static boolean matchesMetadata(ObjectNode job, Map<String, String> q) {
        for (Map.Entry<String, String> e : q.entrySet()) {
            if (e.getKey().startsWith("metadata[")) {
                String k = e.getKey().substring(9, e.getKey().length() - 1);
                if (!e.getValue().equals(job.path("metadata").path(k).asText(null))) {
                    return false;
                }
            }
        }
        return true;
    }

    private synchronized void files(HttpExchange ex, String tenant, String id, boolean content, Map<String, String> q,
                                    byte[] body) throws IOException {
        String method = ex.getRequestMethod();
        if (id == null && method.equals("POST")) {
            String fileId = "file-" + String.format("%024x", seq.incrementAndGet());
            ObjectNode f = JSON.createObjectNode().put("id", fileId).put("object", "file").put("bytes", body.length)
                    .put("created_at", 1_700_000_000L).put("filename", q.get("filename")).put("purpose", q.get("purpose"))
                    .put("sha256", sha256(body)).put("status", "processed").putNull("status_details");
            f.put("tenant", tenant);
            files.put(fileId, f);
            fileBytes.put(fileId, body);
            json(ex, 201, f);
            return;
        }
        if (id == null) {
            List<ObjectNode> mine = new ArrayList<>();
            files.values().forEach(f -> {
                if (tenant.equals(f.get("tenant").asText())) {
                    mine.add(0, f);
                }
            });
            page(ex, mine, q);
            return;
        }
        ObjectNode f = files.get(id);
        if (f == null || !tenant.equals(f.get("tenant").asText())) {
            error(ex, 404, "file_not_found", "no file " + id, "id");
            return;
        }
        if (method.equals("DELETE")) {
            files.remove(id);
            json(ex, 200, JSON.createObjectNode().put("id", id).put("object", "file").put("deleted", true));
        } else if (content) {
            ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
            ex.getResponseHeaders().add("X-Vbank-Sha256", f.get("sha256").asText());
            bytes(ex, fileBytes.get(id));
        } else {
            json(ex, 200, f);
        }
    }

    private void adapters(HttpExchange ex, String tenant, String id, String sub, Map<String, String> q, byte[] body)
            throws IOException {
        if (id.equals("import") && sub == null && ex.getRequestMethod().equals("POST")) {
            if (body.length < 4 || body[0] != 'P' || body[1] != 'K') {
                error(ex, 400, "invalid_request", "not a readable zip", "file");
                return;
            }
            String newId = "adapter-" + String.format("%024x", seq.incrementAndGet());
            ObjectNode a = JSON.createObjectNode().put("id", newId).put("object", "adapter").put("source", "imported")
                    .put("base_model", q.getOrDefault("model", "all-minilm-l6-v2")).put("bytes", body.length);
            adapters.put(tenant + "/" + newId, a);
            json(ex, 201, a);
            return;
        }
        ObjectNode a = adapters.get(tenant + "/" + id);
        if (a == null) {
            error(ex, 404, "adapter_not_found", "no adapter " + id, "id");
            return;
        }
        if (sub == null) {
            json(ex, 200, a);
            return;
        }
        if (sub.equals("/bank_usage")) {
            ObjectNode u = JSON.createObjectNode().put("object", "adapter.bank_usage").put("adapter_id", id)
                    .put("method", "vblora").put("has_bank", true).put("num_vectors", 4).put("topk", 2)
                    .put("sub_vectors", 2);
            u.putArray("indices").add(0).add(3).add(3).add(1);
            u.putArray("weights").add(0.75).add(0.25).add(0.5).add(0.5);
            u.putArray("usage").add(1).add(1).add(0).add(2);
            json(ex, 200, u);
            return;
        }
        String format = q.getOrDefault("format", "compact");
        ex.getResponseHeaders().add("Content-Type", format.equals("peft") ? "application/zip" : "application/octet-stream");
        ex.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"" + id + "." + format + "\"");
        byte[] payload = new byte[300_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + format.length());
        }
        bytes(ex, payload);
    }

    private void control(HttpExchange ex, String path, byte[] body) throws IOException {
        Matcher m;
        if (path.equals("/__stub/requests") && ex.getRequestMethod().equals("GET")) {
            synchronized (this) {
                json(ex, 200, JSON.valueToTree(requests));
            }
        } else if (path.equals("/__stub/requests")) {
            synchronized (this) {
                requests.clear();
            }
            json(ex, 200, JSON.createObjectNode());
        } else if (path.equals("/__stub/drop")) {
            drops.set(Integer.parseInt(new String(body, StandardCharsets.UTF_8).strip()));
            json(ex, 200, JSON.createObjectNode());
        } else if (path.equals("/__stub/down")) {
            down = new String(body, StandardCharsets.UTF_8).strip().equals("true");
            json(ex, 200, JSON.createObjectNode());
        } else if ((m = STUB_EVENTS.matcher(path)).matches()) {
            JsonNode e = JSON.readTree(body);
            ObjectNode added;
            synchronized (this) {
                added = addEvent(m.group(1), e.path("type").asText("message"), e.path("status").asText(null),
                        e.path("message").asText("m"));
            }
            json(ex, 200, added);
        } else if ((m = STUB_ADAPTER.matcher(path)).matches()) {
            adapters.put(m.group(1) + "/" + m.group(2), JSON.createObjectNode().put("id", m.group(2))
                    .put("object", "adapter").put("format", "vbank-compact").put("bytes", 300_000));
            json(ex, 200, JSON.createObjectNode());
        } else {
            error(ex, 404, "not_found", "no control route", null);
        }
    }

    private ObjectNode addEvent(String jobId, String type, String status, String message) {
        ObjectNode e = JSON.createObjectNode().put("id", "ftevent-" + eventSeq.incrementAndGet())
                .put("object", "fine_tuning.job.event").put("created_at", 1_700_000_000L).put("level", "info")
                .put("type", type).put("message", message);
        ObjectNode data = e.putObject("data");
        if (status != null) {
            data.put("status", status);
            jobs.get(jobId).put("status", status);
        }
        events.get(jobId).add(e);
        return e;
    }

    private static void page(HttpExchange ex, List<ObjectNode> all, Map<String, String> q) throws IOException {
        int from = 0;
        if (q.containsKey("after")) {
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).get("id").asText().equals(q.get("after"))) {
                    from = i + 1;
                }
            }
        }
        int limit = Integer.parseInt(q.getOrDefault("limit", "20"));
        ObjectNode page = JSON.createObjectNode().put("object", "list");
        page.set("data", JSON.valueToTree(all.subList(from, Math.min(all.size(), from + limit))));
        page.put("has_more", from + limit < all.size());
        json(ex, 200, page);
    }

    private static void error(HttpExchange ex, int status, String code, String message, String param)
            throws IOException {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("error").put("code", code).put("message", message).put("param", param);
        json(ex, status, e);
    }

    private static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static void bytes(HttpExchange ex, byte[] bytes) throws IOException {
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                q.put(k, v);
            }
        }
        return q;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
