package dev.vbank.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** The public API calls the benchmarks need (tenants through the admin API, files, jobs), with the JDK HTTP client. */
final class PlatformClient {

    static final ObjectMapper JSON = new ObjectMapper();

    record Tenant(String id, String key) {
    }

    private final HttpClient http;
    private final String gateway;
    private final String adminToken;

    PlatformClient(HttpClient http, String gateway, String adminToken) {
        this.http = http;
        this.gateway = gateway;
        this.adminToken = adminToken;
    }

    HttpClient http() {
        return http;
    }

    /** A tenant whose quotas and rate limit stay out of the benchmark's way. */
    Tenant tenant(String name) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        body.putObject("quotas").put("max_queued_jobs", 1_000_000).put("max_running_jobs", 100_000)
                .put("requests_per_second", 100_000.0).put("burst", 100_000);
        JsonNode t = send(HttpRequest.newBuilder(uri("/admin/tenants")).header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json").POST(bytes(body.toString())).build(), 201);
        return new Tenant(t.path("id").asText(), t.path("api_key").path("key").asText());
    }

    /** A small valid training set (two labels), uploaded as a raw body; returns the file id once processed. */
    String trainingFile(Tenant t) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            rows.append(JSON.createObjectNode().put("text", (i % 2 == 0 ? "a fine and useful thing number "
                    : "a broken and useless thing number ") + i).put("label", i % 2 == 0 ? "pos" : "neg")).append('\n');
        }
        JsonNode f = send(as(t, "/v1/files?filename=bench.jsonl&purpose=fine-tune")
                .header("Content-Type", "application/octet-stream").POST(bytes(rows.toString())).build(), 200, 201);
        if (!f.path("status").asText().equals("processed")) {
            throw new IllegalStateException("the training file was not accepted: " + f);
        }
        return f.path("id").asText();
    }

    static String jobBody(String trainingFile) {
        ObjectNode body = JSON.createObjectNode().put("model", "all-minilm-l6-v2").put("training_file", trainingFile);
        ObjectNode method = body.putObject("method").put("type", "vblora");
        method.putObject("hyperparameters").put("n_epochs", 1).put("batch_size", 8).put("max_seq_length", 32)
                .put("vector_length", 128);
        body.put("seed", 1).put("suffix", "bench");
        return body.toString();
    }

    HttpRequest createJobRequest(Tenant t, String trainingFile) {
        return as(t, "/v1/fine_tuning/jobs").header("Content-Type", "application/json")
                .POST(bytes(jobBody(trainingFile))).build();
    }

    JsonNode createJob(Tenant t, String trainingFile) throws IOException {
        return send(createJobRequest(t, trainingFile), 200, 201);
    }

    JsonNode job(Tenant t, String id) throws IOException {
        return send(as(t, "/v1/fine_tuning/jobs/" + id).GET().build(), 200);
    }

    JsonNode cancel(Tenant t, String id) throws IOException {
        return send(as(t, "/v1/fine_tuning/jobs/" + id + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build(),
                200);
    }

    /** Polls the job every {@code every} until its status is {@code wanted}; returns that status. */
    String awaitStatus(Tenant t, String id, Predicate<String> wanted, Duration every, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String status = job(t, id).path("status").asText();
            if (wanted.test(status)) {
                return status;
            }
            if (JobStatus.isTerminal(status) || System.nanoTime() > deadline) {
                throw new IllegalStateException("job " + id + " is " + status + ", not the status awaited");
            }
            sleep(every);
        }
    }

    List<String> createJobs(Tenant t, String file, int n) throws IOException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(createJob(t, file).path("id").asText());
        }
        return ids;
    }

    HttpRequest.Builder as(Tenant t, String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + t.key())
                .timeout(Duration.ofSeconds(30));
    }

    URI uri(String path) {
        return URI.create(gateway + path);
    }

    private JsonNode send(HttpRequest request, int... ok) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        for (int code : ok) {
            if (r.statusCode() == code) {
                return JSON.readTree(r.body());
            }
        }
        throw new IOException(request.method() + " " + request.uri().getPath() + " answered " + r.statusCode() + ": "
                + r.body());
    }

    private static HttpRequest.BodyPublisher bytes(String s) {
        return HttpRequest.BodyPublishers.ofString(s, StandardCharsets.UTF_8);
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
