package dev.vbank.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.common.sse.SseClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The platform benchmark, one phase per run (deploy/bin/vbank-bench runs them in order against a fresh local platform):
 * {@code latency} (submit → running with an idle gpu-worker), {@code events} (worker progress event → client SSE, the
 * gpu-worker stopped and this program producing the worker's events), {@code api} (GET, list and create at fixed rates),
 * {@code claim} (the scheduler's claim at 10,000 queued jobs), {@code report} (the table). Each phase writes
 * {@code <out>/<phase>.json}.
 */
public final class PlatformBench {

    record Options(String phase, String gateway, Path dataDir, String postgres, String kafka, Path out, int seconds,
                   int warmupSeconds, double getRate, double listRate, double createRate, int createTenants,
                   int latencyJobs, int probes) {

        static Options parse(String[] args) {
            Map<String, String> o = new LinkedHashMap<>();
            String phase = null;
            for (int i = 0; i < args.length; i++) {
                if (args[i].startsWith("--")) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(args[i] + " needs a value");
                    }
                    o.put(args[i].substring(2), args[++i]);
                } else if (phase == null) {
                    phase = args[i];
                } else {
                    throw new IllegalArgumentException("unexpected argument " + args[i]);
                }
            }
            if (phase == null) {
                throw new IllegalArgumentException("usage: PlatformBench latency|events|api|claim|report [--option value]...");
            }
            Options parsed = new Options(phase, o.getOrDefault("gateway", "http://127.0.0.1:8080"),
                    Path.of(o.getOrDefault("data-dir", ".vbank")),
                    o.getOrDefault("postgres", "jdbc:postgresql://127.0.0.1:54320/"),
                    o.getOrDefault("kafka", "127.0.0.1:19092"), Path.of(o.getOrDefault("out", "platform-bench/target/bench")),
                    Integer.parseInt(o.getOrDefault("seconds", "20")),
                    Integer.parseInt(o.getOrDefault("warmup", "15")),
                    Double.parseDouble(o.getOrDefault("get-rate", "500")),
                    Double.parseDouble(o.getOrDefault("list-rate", "500")),
                    Double.parseDouble(o.getOrDefault("create-rate", "200")),
                    Integer.parseInt(o.getOrDefault("create-tenants", "10")),
                    Integer.parseInt(o.getOrDefault("latency-jobs", "20")),
                    Integer.parseInt(o.getOrDefault("probes", "100")));
            Set<String> known = Set.of("gateway", "data-dir", "postgres", "kafka", "out", "seconds", "warmup", "get-rate",
                    "list-rate", "create-rate", "create-tenants", "latency-jobs", "probes");
            for (String k : o.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown option --" + k);
                }
            }
            return parsed;
        }
    }

    private final Options options;

    private PlatformBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Files.createDirectories(options.out());
        PlatformBench bench = new PlatformBench(options);
        ObjectNode result = PlatformClient.JSON.createObjectNode();
        result.put("phase", options.phase()).put("started_at", Instant.now().toString()).put("load_before", loadAverage());
        switch (options.phase()) {
            case "latency" -> bench.submitToRunning(result);
            case "events" -> bench.eventToSse(result);
            case "api" -> bench.api(result);
            case "claim" -> bench.claim(result);
            case "report" -> {
                Report.write(options.out());
                return;
            }
            default -> throw new IllegalArgumentException("unknown phase " + options.phase());
        }
        result.put("load_after", loadAverage());
        Path file = options.out().resolve(options.phase() + ".json");
        PlatformClient.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), result);
        System.out.println("wrote " + file);
    }

    private PlatformClient client() throws IOException {
        String token = Files.readString(options.dataDir().resolve("admin-token")).strip();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(4, r -> {
                    Thread t = new Thread(r, "bench-http");
                    t.setDaemon(true);
                    return t;
                })).build();
        return new PlatformClient(http, options.gateway(), token);
    }

    /** Submit → running: one job at a time with the gpu-worker idle; each is cancelled once seen running. */
    private void submitToRunning(ObjectNode result) throws IOException {
        PlatformClient api = client();
        PlatformClient.Tenant t = api.tenant("bench-latency");
        String file = api.trainingFile(t);
        Latencies latencies = new Latencies();
        for (int i = 0; i < options.latencyJobs(); i++) {
            long t0 = System.nanoTime();
            String id = api.createJob(t, file).path("id").asText();
            api.awaitStatus(t, id, "running"::equals, Duration.ofMillis(5), Duration.ofSeconds(60));
            double ms = (System.nanoTime() - t0) / 1e6;
            latencies.add(ms);
            System.out.printf("submit -> running %2d: %7.1f ms%n", i + 1, ms);
            api.cancel(t, id);
            api.awaitStatus(t, id, JobStatus::isTerminal, Duration.ofMillis(50), Duration.ofSeconds(120));
        }
        ObjectNode r = result.putObject("submit_to_running");
        r.put("jobs", latencies.count()).put("p50_ms", latencies.percentile(50)).put("p99_ms", latencies.percentile(99))
                .put("max_ms", latencies.percentile(100));
        ArrayNode all = r.putArray("samples_ms");
        latencies.values().forEach(all::add);
    }

    /**
     * Worker event → SSE: a job is dispatched while no gpu-worker runs; this program then plays its worker, producing
     * PROGRESS events on {@code vbank.jobs.events} under the job's lease (read from {@code scheduler.jobs}) with the
     * worker's producer settings, about 10 a second at random gaps, and times each from just before {@code send} to its
     * arrival on the gateway's SSE stream (one clock, one process).
     */
    private void eventToSse(ObjectNode result) throws Exception {
        PlatformClient api = client();
        PlatformClient.Tenant t = api.tenant("bench-events");
        String file = api.trainingFile(t);
        String jobId = api.createJob(t, file).path("id").asText();
        api.awaitStatus(t, jobId, "running"::equals, Duration.ofMillis(20), Duration.ofSeconds(60));
        int attempt;
        String lease;
        try (Connection c = DriverManager.getConnection(options.postgres() + "vbank", "postgres", "postgres");
             PreparedStatement ps = c.prepareStatement(
                     "select attempt, lease_token from scheduler.jobs where id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                attempt = rs.getInt(1);
                lease = rs.getString(2);
            }
        }
        Map<Integer, Long> sent = new ConcurrentHashMap<>();
        Latencies latencies = new Latencies();
        Pattern probe = Pattern.compile("bench probe (\\d+)");
        AtomicReference<InputStream> stream = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            HttpRequest request = api.as(t, "/v1/fine_tuning/jobs/" + jobId + "/events")
                    .header("Accept", "text/event-stream").timeout(Duration.ofMinutes(10)).GET().build();
            try {
                HttpResponse<InputStream> r = api.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
                stream.set(r.body());
                new SseClient().read(r.body(), e -> {
                    long now = System.nanoTime();
                    JsonNode ev = PlatformClient.JSON.readTree(e.data());
                    Matcher m = probe.matcher(ev.path("message").asText());
                    if (m.matches()) {
                        Long at = sent.get(Integer.parseInt(m.group(1)));
                        if (at != null) {
                            latencies.add((now - at) / 1e6);
                        }
                    }
                    return false;
                });
            } catch (IOException | InterruptedException e) {
                // the stream ends when the benchmark closes it
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        PlatformClient.sleep(Duration.ofSeconds(1)); // the stream is open and has delivered the job's earlier events
        Random random = new Random(11);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.kafka(),
                ProducerConfig.CLIENT_ID_CONFIG, "vbank-bench-worker",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new StringSerializer())) {
            for (int n = 0; n < options.probes(); n++) {
                JobEvent ev = new JobEvent("ftevent-bench-" + jobId + "-" + n, JobEvent.OBJECT,
                        Instant.now().getEpochSecond(), EventLevel.INFO, EventType.METRICS, "bench probe " + n,
                        Map.of("step", n + 1));
                String json = Json.mapper().writeValueAsString(new WorkerEvent(jobId, attempt, lease, "vbank-bench",
                        WorkerEvent.Kind.PROGRESS, ev));
                sent.put(n, System.nanoTime());
                producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, jobId, json));
                PlatformClient.sleep(Duration.ofMillis(50 + random.nextInt(101)));
            }
            producer.flush();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (latencies.count() < options.probes() && System.nanoTime() < deadline) {
            PlatformClient.sleep(Duration.ofMillis(50));
        }
        if (stream.get() != null) {
            stream.get().close();
        }
        api.cancel(t, jobId);
        ObjectNode r = result.putObject("event_to_sse");
        r.put("probes", options.probes()).put("received", latencies.count()).put("p50_ms", latencies.percentile(50))
                .put("p99_ms", latencies.percentile(99)).put("max_ms", latencies.percentile(100));
    }

    /** GET one job, list jobs and create jobs, each at its fixed rate for the configured seconds after a warm-up. */
    private void api(ObjectNode result) throws IOException {
        PlatformClient api = client();
        PlatformClient.Tenant reader = api.tenant("bench-reader");
        String file = api.trainingFile(reader);
        List<String> ids = api.createJobs(reader, file, 50);
        Duration run = Duration.ofSeconds(options.seconds());
        // fresh service JVMs spend their first minute compiling (JIT): each rate is first offered unrecorded
        Duration warmup = Duration.ofSeconds(options.warmupSeconds());
        Duration drain = Duration.ofSeconds(30);
        ArrayNode runs = result.putArray("runs");

        HttpRequest[] gets = ids.stream().map(id -> api.as(reader, "/v1/fine_tuning/jobs/" + id).GET().build())
                .toArray(HttpRequest[]::new);
        HttpRequest list = api.as(reader, "/v1/fine_tuning/jobs?limit=20").GET().build();
        List<HttpRequest> creates = new ArrayList<>();
        for (int i = 0; i < options.createTenants(); i++) {
            PlatformClient.Tenant t = api.tenant("bench-create-" + i);
            creates.add(api.createJobRequest(t, api.trainingFile(t)));
        }
        LongFunction<HttpRequest> get = i -> gets[(int) (i % gets.length)];
        LongFunction<HttpRequest> create = i -> creates.get((int) (i % creates.size()));
        // every kind of request at its rate, unrecorded, before any is measured
        OpenLoop.run("warm-up", api.http(), options.getRate(), warmup, Long.MAX_VALUE, drain, get);
        OpenLoop.run("warm-up", api.http(), options.listRate(), warmup, Long.MAX_VALUE, drain, i -> list);
        OpenLoop.run("warm-up", api.http(), options.createRate(), warmup, Long.MAX_VALUE, drain, create);

        record(runs, "get_job", OpenLoop.run("GET /v1/fine_tuning/jobs/{id}", api.http(), options.getRate(), run,
                Long.MAX_VALUE, drain, get));
        record(runs, "list_jobs", OpenLoop.run("GET /v1/fine_tuning/jobs?limit=20", api.http(), options.listRate(), run,
                Long.MAX_VALUE, drain, i -> list));
        record(runs, "create_job", OpenLoop.run("POST /v1/fine_tuning/jobs", api.http(), options.createRate(), run,
                Long.MAX_VALUE, drain, create));
        result.put("create_tenants", options.createTenants()).put("warmup_seconds_per_kind", options.warmupSeconds());
    }

    private static void record(ArrayNode runs, String key, OpenLoop.Result r) {
        System.out.printf("%-36s offered %6.1f/s  sent %6d  ok %6d  failed %5d  throughput %6.1f/s  p50 %7.2f ms"
                        + "  p99 %8.2f ms  max %8.2f ms  %s%n", r.name(), r.offeredRate(), r.sent(), r.ok(), r.failed(),
                r.throughput(), r.percentileMillis(50), r.percentileMillis(99), r.percentileMillis(100), r.outcomes());
        ObjectNode o = runs.addObject();
        o.put("key", key).put("name", r.name()).put("offered_rate", r.offeredRate()).put("sent", r.sent())
                .put("ok", r.ok()).put("failed", r.failed()).put("throughput", r.throughput())
                .put("p50_ms", r.percentileMillis(50)).put("p99_ms", r.percentileMillis(99))
                .put("max_ms", r.percentileMillis(100)).put("seconds", r.elapsedSeconds());
        o.set("outcomes", PlatformClient.JSON.valueToTree(r.outcomes()));
    }

    /** The claim on the platform's PostgreSQL, in a database of its own ({@code vbank_bench}) so no service sees it. */
    private void claim(ObjectNode result) throws SQLException, IOException {
        try (Connection c = DriverManager.getConnection(options.postgres() + "vbank", "postgres", "postgres");
             Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("select 1 from pg_database where datname = 'vbank_bench'")) {
                if (!rs.next()) {
                    st.execute("create database vbank_bench");
                }
            }
        }
        ClaimBench.Settings s = ClaimBench.Settings.standard();
        ClaimBench.Result r = ClaimBench.run(options.postgres() + "vbank_bench", "postgres", "postgres", s);
        System.out.printf("claim: %d dispatches in %d rounds; claim p50 %.2f ms, p99 %.2f ms, max %.2f ms; fairness"
                        + " %.2f (per tenant %d..%d, heavy tenant %d, %d tenants served)%n", r.dispatched(), r.rounds(),
                r.claimMillis(50), r.claimMillis(99), r.claimMillis(100), r.fairnessRatio(), r.minPerTenant(),
                r.maxPerTenant(), r.heavyTenantDispatches(), r.tenantsServed());
        ObjectNode o = result.putObject("claim");
        o.put("queued_jobs", s.jobs()).put("tenants", s.tenants()).put("heavy_tenant_jobs", s.jobs() / 2)
                .put("max_running", s.maxRunning()).put("tenant_cap", s.tenantCap())
                .put("finish_chance", s.finishChance()).put("dispatches", r.dispatched()).put("rounds", r.rounds())
                .put("p50_ms", r.claimMillis(50)).put("p99_ms", r.claimMillis(99)).put("max_ms", r.claimMillis(100))
                .put("fairness_ratio", r.fairnessRatio()).put("min_per_tenant", r.minPerTenant())
                .put("max_per_tenant", r.maxPerTenant()).put("heavy_tenant_dispatches", r.heavyTenantDispatches())
                .put("tenants_served", r.tenantsServed()).put("plan", r.plan());
        Files.writeString(options.out().resolve("claim-plan.txt"), r.plan());
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
