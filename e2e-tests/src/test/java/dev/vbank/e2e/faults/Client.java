package dev.vbank.e2e.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.text.data.PublicDatasets;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The public API over plain HTTP, spread over the gateways a {@link Supplier} names (round robin, like a load
 * balancer). A gateway that does not answer at all is skipped for the next one; HTTP answers are returned as they are.
 */
final class Client {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Answer(int status, String body, String gateway) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        boolean ok() {
            return status / 100 == 2;
        }
    }

    record Tenant(String id, String key) {
    }

    private final Supplier<List<String>> gateways;
    private final AtomicInteger next = new AtomicInteger();

    Client(Supplier<List<String>> gateways) {
        this.gateways = gateways;
    }

    Answer send(String method, String path, String key, Map<String, String> headers, byte[] body) throws IOException {
        List<String> urls = gateways.get();
        IOException last = null;
        int start = Math.floorMod(next.getAndIncrement(), urls.size());
        for (int i = 0; i < urls.size(); i++) {
            String base = urls.get((start + i) % urls.size());
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            if (key != null) {
                b.header("Authorization", "Bearer " + key);
            }
            headers.forEach(b::header);
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
            try {
                HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return new Answer(r.statusCode(), r.body(), base);
            } catch (IOException e) {
                last = e; // this gateway is gone: the next one gets the request, as behind a load balancer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw last != null ? last : new IOException("no gateway");
    }

    Answer get(String key, String path) throws IOException {
        return send("GET", path, key, Map.of(), null);
    }

    Tenant createTenant(String adminToken, String name) throws IOException {
        Answer a = send("POST", "/admin/tenants", adminToken, Map.of("Content-Type", "application/json"),
                ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8));
        if (!a.ok()) {
            throw new AssertionError("POST /admin/tenants: " + a);
        }
        JsonNode t = a.json();
        return new Tenant(t.path("id").asText(), t.path("api_key").path("key").asText());
    }

    String upload(String key, String filename, List<String> rows) throws IOException {
        byte[] body = (String.join("\n", rows) + "\n").getBytes(StandardCharsets.UTF_8);
        Answer a = send("POST", "/v1/files?filename=" + URLEncoder.encode(filename, StandardCharsets.UTF_8)
                + "&purpose=fine-tune", key, Map.of("Content-Type", "application/octet-stream"), body);
        if (!a.ok() || !"processed".equals(a.json().path("status").asText())) {
            throw new AssertionError("upload " + filename + ": " + a);
        }
        return a.json().path("id").asText();
    }

    /** A VB-LoRA job on MiniLM with short sequences; {@code epochs} × rows/batch optimizer steps. */
    static byte[] jobBody(String file, int epochs, int batch) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", Cluster.MODEL);
        body.put("training_file", file);
        ObjectNode hp = body.putObject("method").put("type", "vblora").putObject("hyperparameters");
        hp.put("n_epochs", epochs);
        hp.put("batch_size", batch);
        hp.put("max_seq_length", 32);
        hp.put("vector_length", 128);
        hp.put("num_vectors", 32);
        hp.put("warmup_ratio", 0.0);
        body.put("seed", 13);
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Creates a job, retrying the same Idempotency-Key until some gateway accepts it (what a careful client does when
     * an answer is lost or a 5xx); returns the job and how many answers were not 2xx.
     */
    record Created(JsonNode job, int failedAnswers, List<Integer> failures) {
    }

    Created createJob(String key, byte[] body, Duration patience) throws Exception {
        String idem = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + patience.toNanos();
        List<Integer> failures = new ArrayList<>();
        while (true) {
            Answer a;
            try {
                a = send("POST", "/v1/fine_tuning/jobs", key, Map.of("Content-Type", "application/json",
                        "Idempotency-Key", idem), body);
            } catch (IOException e) {
                a = new Answer(-1, e.toString(), null);
            }
            if (a.ok()) {
                return new Created(a.json(), failures.size(), failures);
            }
            if (a.status() / 100 == 4 && a.status() != 429 && a.status() != 409) {
                throw new AssertionError("create refused: " + a);
            }
            failures.add(a.status());
            if (System.nanoTime() > deadline) {
                throw new AssertionError("create not accepted within " + patience + "; answers " + failures + ", last "
                        + a);
            }
            Thread.sleep(500);
        }
    }

    JsonNode job(String key, String id) throws IOException {
        Answer a = get(key, "/v1/fine_tuning/jobs/" + id);
        if (!a.ok()) {
            throw new IOException("GET job " + id + ": " + a);
        }
        return a.json();
    }

    /** Polls until the job is terminal, tolerating unanswered or 5xx polls while a fault lasts. */
    JsonNode awaitTerminal(String key, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = job(key, id);
                if (TERMINAL.contains(last.path("status").asText())) {
                    return last;
                }
            } catch (IOException e) {
                // the fault may still be on
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + id + " not terminal within " + timeout + ": " + last);
    }

    /** The whole event log of a job, page by page. */
    List<JsonNode> events(String key, String id) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        while (true) {
            Answer a = get(key, "/v1/fine_tuning/jobs/" + id + "/events?limit=100" + (after == null ? "" : "&after=" + after));
            if (!a.ok()) {
                throw new IOException("events of " + id + ": " + a);
            }
            List<JsonNode> page = new ArrayList<>();
            a.json().path("data").forEach(page::add);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).path("id").asText();
        }
    }

    static List<String> states(List<JsonNode> events) {
        List<String> states = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("state") && !e.path("data").path("status").asText().isEmpty()) {
                states.add(e.path("data").path("status").asText());
            }
        }
        return states;
    }

    static boolean isProgress(JsonNode e) {
        return e.path("type").asText().equals("metrics") && e.path("data").has("train_loss");
    }

    static boolean isCheckpoint(JsonNode e) {
        return e.path("data").has("object_key") && e.path("message").asText().startsWith("Checkpoint at step");
    }

    /** UCI Amazon review sentences (npm, pinned), converted once under e2e-tests/target/datasets. */
    static List<String> amazonRows(Path repo) throws Exception {
        Path dir = Files.createDirectories(repo.resolve("e2e-tests/target/datasets"));
        PublicDatasets.Result ds = PublicDatasets.fetch(PublicDatasets.UCI_AMAZON, dir, 13);
        return Files.readAllLines(ds.jsonl(), StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
