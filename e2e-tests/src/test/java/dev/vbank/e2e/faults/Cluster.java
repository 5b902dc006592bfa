package dev.vbank.e2e.faults;

import dev.vbank.testkit.KafkaServer;
import dev.vbank.testkit.Ports;
import dev.vbank.testkit.PostgresServer;
import dev.vbank.testkit.S3Server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The platform as separate processes on free ports: PostgreSQL, Kafka and S3 from the testkit in this JVM (so each can
 * be stopped and started again on its port and data directory while the services run), and any number of instances of
 * each service as their own JVMs, started from their {@code target/quarkus-app}. Binds no fixed port, so it needs no
 * port lock and runs next to a {@code vbank-local}.
 */
final class Cluster implements AutoCloseable {

    static final List<String> TOPICS = List.of("vbank.jobs.dispatch", "vbank.jobs.events", "vbank.jobs.control");
    static final String MODEL = "all-minilm-l6-v2";

    final Path repo;
    final Path dir;
    final String adminToken = "faults-admin-" + UUID.randomUUID();
    /** Environment every service gets, before its own; tests add knobs (lease, intervals) here before starting. */
    final Map<String, String> env = new LinkedHashMap<>();
    final List<Service> services = new ArrayList<>();
    private final int pgPort = Ports.free();
    private final int kafkaPort = Ports.free();
    private final int s3Port = Ports.free();
    private PostgresServer postgres;
    private KafkaServer kafka;
    private S3Server s3;
    private int serial;

    Cluster(String name) throws IOException {
        repo = Path.of(System.getProperty("vbank.repo.root", "..")).toAbsolutePath().normalize();
        Path base = Files.createDirectories(repo.resolve("e2e-tests/target/faults"));
        removeEarlierRuns(base, name);
        dir = Files.createTempDirectory(base, name + "-");
        for (String s : List.of("api-gateway", "job-scheduler", "gpu-worker", "artifact-service")) {
            Path jar = repo.resolve(s + "/target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("not built: " + jar + " (./mvnw -B -DskipTests package)");
            }
        }
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        // glibc keeps freed tensor memory for reuse instead of unmapping it (docs/BENCHMARKS.md, "malloc")
        env.put("MALLOC_MMAP_THRESHOLD_", "33554432");
        env.put("MALLOC_TRIM_THRESHOLD_", "4294967296");
        env.put("VBANK_ADMIN_TOKEN", adminToken);
        // only the model the jobs use is converted and seeded
        env.put("VBANK_ARTIFACTS_BASE_MODELS_IDS", MODEL);
        env.put("VBANK_WORKER_PROGRESS_INTERVAL", "0s");
        env.put("VBANK_WORKER_HEARTBEAT_INTERVAL", "2s");
        env.put("VBANK_WORKER_KAFKA_SESSION_TIMEOUT", "10s");
        env.put("VBANK_SCHEDULER_LEASE", "20s");
        env.put("VBANK_SCHEDULER_REAP_INTERVAL", "2s");
        // eight JVMs starting on two shared cores: a new PostgreSQL connection can take longer than the default 5 s
        env.put("QUARKUS_DATASOURCE_JDBC_ACQUISITION_TIMEOUT", "30s");
    }

    /** Overrides from {@code -Dvbank.faults.env=KEY=VALUE,...} (e.g. to run a scenario with a fix switched off). */
    void applyOverrides() {
        for (String kv : System.getProperty("vbank.faults.env", "").split(",")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
            }
        }
    }

    void startInfrastructure() throws Exception {
        applyOverrides();
        startPostgres();
        startKafka();
        kafka.createTopics(3, TOPICS.toArray(String[]::new));
        startS3();
    }

    void startPostgres() {
        postgres = PostgresServer.start(dir.resolve("postgres"), pgPort);
    }

    void stopPostgres() {
        postgres.close();
        postgres = null;
    }

    void startKafka() {
        kafka = KafkaServer.start(dir.resolve("kafka"), kafkaPort);
    }

    void stopKafka() {
        kafka.close();
        kafka = null;
    }

    void startS3() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"), s3Port, "faults", "faults-secret");
        s3.createBucketIfMissing(S3Server.BUCKET);
    }

    void stopS3() {
        s3.close();
        s3 = null;
    }

    /** Where s3proxy's filesystem backend keeps the object with this key. */
    Path objectFile(String key) {
        return dir.resolve("s3").resolve(S3Server.BUCKET).resolve(key);
    }

    Connection db() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/" + PostgresServer.DATABASE,
                PostgresServer.USERNAME, PostgresServer.PASSWORD);
    }

    String kafkaBootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    // ---- services

    List<Service> of(String kind) {
        return services.stream().filter(s -> s.kind.equals(kind) && s.alive()).toList();
    }

    Service first(String kind) {
        return of(kind).get(0);
    }

    /** Starts one more instance of {@code kind}; call {@link Service#awaitReady} (or {@link #awaitAllReady}) after. */
    Service start(String kind, Map<String, String> own) throws IOException {
        int port = Ports.free();
        String name = kind + "-" + (++serial);
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        e.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        e.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + pgPort + "/" + PostgresServer.DATABASE);
        e.put("QUARKUS_DATASOURCE_USERNAME", PostgresServer.USERNAME);
        e.put("QUARKUS_DATASOURCE_PASSWORD", PostgresServer.PASSWORD);
        e.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap());
        e.put("VBANK_S3_ENDPOINT", "http://127.0.0.1:" + s3Port);
        e.put("VBANK_S3_ACCESS_KEY", "faults");
        e.put("VBANK_S3_SECRET_KEY", "faults-secret");
        e.put("VBANK_S3_BUCKET", S3Server.BUCKET);
        Service artifacts = kind.equals("artifact-service") ? null : firstOrNull("artifact-service");
        Service scheduler = firstOrNull("job-scheduler");
        if (artifacts != null) {
            e.put("VBANK_ARTIFACT_SERVICE_URL", artifacts.url());
            e.put("VBANK_ARTIFACTS_URL", artifacts.url());
        }
        if (kind.equals("api-gateway") && scheduler != null) {
            e.put("VBANK_SCHEDULER_URL", scheduler.url());
        }
        if (kind.equals("gpu-worker")) {
            e.put("VBANK_WORKER_ID", name);
            e.put("VBANK_WORKER_CACHE_DIR", dir.resolve("work/" + name).toString());
        }
        e.putAll(own);
        Service s = new Service(this, kind, name, port, e);
        services.add(s);
        s.launch();
        return s;
    }

    private Service firstOrNull(String kind) {
        List<Service> live = of(kind);
        return live.isEmpty() ? null : live.get(0);
    }

    /** One instance of each service, started in dependency order and ready. */
    void startServices(int gateways, int schedulers, int workers) throws Exception {
        start("artifact-service", Map.of()).awaitReady(Duration.ofMinutes(8));
        // the first of a kind migrates its schema alone; the others start once it is ready
        start("job-scheduler", Map.of());
        start("gpu-worker", Map.of());
        awaitAllReady(Duration.ofMinutes(5));
        for (int i = 1; i < schedulers; i++) {
            start("job-scheduler", Map.of());
        }
        for (int i = 1; i < workers; i++) {
            start("gpu-worker", Map.of());
        }
        awaitAllReady(Duration.ofMinutes(5));
        List<Service> sched = of("job-scheduler");
        for (int i = 0; i < gateways; i++) {
            // each gateway talks to one scheduler, as a Kubernetes Service would hand it one
            start("api-gateway", Map.of("VBANK_SCHEDULER_URL", sched.get(i % sched.size()).url()));
        }
        awaitAllReady(Duration.ofMinutes(3));
    }

    /** No quota or rate limit gets in the way of a test's load. */
    void withoutQuotas() {
        env.put("VBANK_QUOTAS_MAX_QUEUED_JOBS", "100000");
        env.put("VBANK_QUOTAS_MAX_RUNNING_JOBS", "100000");
        env.put("VBANK_RATE_LIMIT_PER_SECOND", "100000");
        env.put("VBANK_RATE_LIMIT_BURST", "100000");
    }

    /** Infrastructure and services up, the time it took reported; returns a client spread over the live gateways. */
    Client up(Report report, int gateways, int schedulers, int workers) throws Exception {
        long t0 = System.nanoTime();
        startInfrastructure();
        startServices(gateways, schedulers, workers);
        report.line(String.format("platform up in %d s: %s", (System.nanoTime() - t0) / 1_000_000_000L, services));
        return new Client(() -> of("api-gateway").stream().map(Service::url).toList());
    }

    void awaitAllReady(Duration timeout) throws Exception {
        for (Service s : services) {
            if (s.alive()) {
                s.awaitReady(timeout);
            }
        }
    }

    @Override
    public void close() {
        for (Service s : services) {
            s.stop(Duration.ofSeconds(20));
        }
        for (AutoCloseable c : new AutoCloseable[]{s3, kafka, postgres}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.out.println("[faults] closing " + c + ": " + e);
                }
            }
        }
    }

    private static void removeEarlierRuns(Path base, String name) throws IOException {
        try (Stream<Path> dirs = Files.list(base)) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(name + "-")).toList()) {
                try (Stream<Path> all = Files.walk(d)) {
                    all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /** One service JVM. */
    static final class Service {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        final Cluster cluster;
        final String kind;
        final String name;
        final int port;
        final Map<String, String> env;
        Process process;

        Service(Cluster cluster, String kind, String name, int port, Map<String, String> env) {
            this.cluster = cluster;
            this.kind = kind;
            this.name = name;
            this.port = port;
            this.env = env;
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        Path log() {
            return cluster.dir.resolve("logs/" + name + ".log");
        }

        void launch() throws IOException {
            Path work = Files.createDirectories(cluster.dir.resolve("work/" + name));
            Files.createDirectories(log().getParent());
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dvbank.component=" + name, "-Xmx" + (kind.equals("gpu-worker") ? "1g" : "384m"),
                    "-XX:+UseSerialGC", "-jar",
                    cluster.repo.resolve(kind + "/target/quarkus-app/quarkus-run.jar").toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            pb.environment().putAll(env);
            process = pb.start();
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        long pid() {
            return process.pid();
        }

        /** SIGKILL: no shutdown hook, no last checkpoint, no goodbye to the Kafka group. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        /** SIGTERM, then SIGKILL after {@code grace}. */
        void stop(Duration grace) {
            if (!alive()) {
                return;
            }
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Starts the same instance again (same name, port and environment). */
        void restart() throws IOException {
            launch();
        }

        boolean ready() {
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding());
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        void awaitReady(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!ready()) {
                if (!alive()) {
                    throw new AssertionError(name + " exited (" + process.exitValue() + ") before it was ready:\n"
                            + tail(80));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + " not ready within " + timeout + ":\n" + tail(80));
                }
                Thread.sleep(250);
            }
        }

        String tail(int lines) {
            try {
                List<String> all = Files.readAllLines(log());
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public String toString() {
            return name + "@" + port;
        }
    }
}
