package dev.vbank.deploy;

import dev.vbank.testkit.KafkaServer;
import dev.vbank.testkit.PostgresServer;
import dev.vbank.testkit.S3Server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The infrastructure JVM of the local platform: PostgreSQL, a Kafka KRaft broker and an S3 endpoint from the testkit,
 * each with its state under the data directory, on the fixed local ports of docs/ARCHITECTURE.md.
 *
 * <p>When everything is up it writes {@code <data-dir>/run/infra.env} (KEY=VALUE lines the launcher exports to the
 * services); that file appearing is the ready signal, and it is removed first on shutdown. A SIGTERM runs the shutdown
 * hook, which stops the servers in reverse order so that PostgreSQL is stopped cleanly and its data survives.
 */
public final class LocalInfra {

    static final List<String> TOPICS = List.of("vbank.jobs.dispatch", "vbank.jobs.events", "vbank.jobs.control");

    private final Path dataDir;
    private final Options options;
    private final Deque<Runnable> closers = new ArrayDeque<>();
    private FileChannel lockChannel;
    private FileLock lock;

    record Options(Path dataDir, int pgPort, int kafkaPort, int s3Port, String s3AccessKey, String s3SecretKey,
                   int topicPartitions) {

        static Options parse(String[] args) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --name value pairs, got '" + arg + "'");
                }
                values.put(arg.substring(2), args[++i]);
            }
            String dir = values.remove("data-dir");
            if (dir == null) {
                throw new IllegalArgumentException("--data-dir is required");
            }
            Options o = new Options(Path.of(dir).toAbsolutePath().normalize(),
                    intOption(values, "pg-port", 54320),
                    intOption(values, "kafka-port", 19092),
                    intOption(values, "s3-port", 19000),
                    stringOption(values, "s3-access-key", "vbank-local"),
                    stringOption(values, "s3-secret-key", "vbank-local-secret"),
                    intOption(values, "topic-partitions", 3));
            if (!values.isEmpty()) {
                throw new IllegalArgumentException("unknown option(s): " + values.keySet());
            }
            return o;
        }

        private static int intOption(Map<String, String> values, String name, int fallback) {
            String v = values.remove(name);
            if (v == null) {
                return fallback;
            }
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " must be a number, got '" + v + "'");
            }
        }

        private static String stringOption(Map<String, String> values, String name, String fallback) {
            String v = values.remove(name);
            return v == null ? fallback : v;
        }
    }

    LocalInfra(Options options) {
        this.options = options;
        this.dataDir = options.dataDir();
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LocalInfra: " + e.getMessage());
            System.err.println("usage: LocalInfra --data-dir DIR [--pg-port N] [--kafka-port N] [--s3-port N]"
                    + " [--s3-access-key K] [--s3-secret-key S] [--topic-partitions N]");
            System.exit(2);
            return;
        }
        LocalInfra infra = new LocalInfra(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            infra.stop();
            stopped.countDown();
        }, "vbank-infra-shutdown"));
        try {
            infra.start();
        } catch (Exception | LinkageError e) {
            log("infrastructure failed to start: " + e);
            e.printStackTrace();
            // the hook stops what did start
            System.exit(1);
        }
        stopped.await();
    }

    synchronized void start() throws IOException {
        Path run = Files.createDirectories(dataDir.resolve("run"));
        Files.createDirectories(dataDir.resolve("logs"));
        lock(run.resolve("infra.lock"));
        Files.deleteIfExists(envFile());

        log("PostgreSQL on port " + options.pgPort() + ", data in " + dataDir.resolve("postgres"));
        PostgresServer pg = PostgresServer.start(Files.createDirectories(dataDir.resolve("postgres")), options.pgPort());
        closers.push(closer("PostgreSQL", pg));

        log("Kafka on port " + options.kafkaPort() + ", logs in " + dataDir.resolve("kafka"));
        KafkaServer kafka = KafkaServer.start(Files.createDirectories(dataDir.resolve("kafka")), options.kafkaPort());
        closers.push(closer("Kafka", kafka));
        kafka.createTopics(options.topicPartitions(), TOPICS.toArray(String[]::new));

        log("S3 on port " + options.s3Port() + ", objects in " + dataDir.resolve("s3"));
        S3Server s3 = S3Server.start(Files.createDirectories(dataDir.resolve("s3")), options.s3Port(),
                options.s3AccessKey(), options.s3SecretKey());
        closers.push(closer("S3", s3));

        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", pg.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", pg.username());
        env.put("QUARKUS_DATASOURCE_PASSWORD", pg.password());
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("VBANK_S3_ENDPOINT", s3.endpoint());
        env.put("VBANK_S3_ACCESS_KEY", options.s3AccessKey());
        env.put("VBANK_S3_SECRET_KEY", options.s3SecretKey());
        env.put("VBANK_S3_BUCKET", s3.bucket());
        env.put("VBANK_INFRA_PID", Long.toString(ProcessHandle.current().pid()));
        writeEnvFile(env);
        log("ready: " + envFile());
    }

    synchronized void stop() {
        if (lock == null) {
            return; // never owned this data dir: its ready file, if any, belongs to the instance that does
        }
        try {
            Files.deleteIfExists(envFile());
        } catch (IOException e) {
            log("could not remove " + envFile() + ": " + e);
        }
        while (!closers.isEmpty()) {
            closers.pop().run();
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // the process is ending; the OS drops the lock anyway
        }
        lock = null;
        log("stopped");
    }

    private Path envFile() {
        return dataDir.resolve("run").resolve("infra.env");
    }

    private void lock(Path lockFile) throws IOException {
        lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this same JVM
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("another LocalInfra holds " + lockFile + " (is the platform already up"
                    + " for this data directory?)");
        }
    }

    private void writeEnvFile(Map<String, String> env) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (var e : env.entrySet()) {
            if (e.getValue().contains("\n")) {
                throw new IllegalStateException(e.getKey() + " contains a newline");
            }
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        Path tmp = envFile().resolveSibling("infra.env.tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, envFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Runnable closer(String name, AutoCloseable server) {
        return () -> {
            log("stopping " + name);
            try {
                server.close();
            } catch (Exception e) {
                log("stopping " + name + " failed: " + e);
            }
        };
    }

    static void log(String message) {
        System.out.println(Instant.now() + " [vbank-infra] " + message);
        System.out.flush();
    }
}
