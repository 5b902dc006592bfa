package dev.vbank.testkit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Kafka 4.1 KRaft cluster (one process acting as broker and controller) inside this JVM.
 * A persistent log directory is formatted once and then reused, so topics and offsets survive a restart;
 * without one a temporary directory is used and removed on close.
 */
public final class KafkaServer implements AutoCloseable {

    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final int NODE_ID = 1;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final Path logDir;
    private final boolean temporary;
    private final int port;

    private KafkaServer(KafkaRaftServer server, Path logDir, boolean temporary, int port) {
        this.server = server;
        this.logDir = logDir;
        this.temporary = temporary;
        this.port = port;
    }

    /** A throw-away broker on a free port. */
    public static KafkaServer start() {
        return start(null, 0);
    }

    /**
     * @param logDir persistent log directory, formatted when it holds no cluster yet; {@code null} for a temporary one
     * @param port   fixed client port, or 0 for a free one (the controller always takes a free port)
     */
    public static KafkaServer start(Path logDir, int port) {
        return OwnClassLoader.call(() -> doStart(logDir, port));
    }

    private static KafkaServer doStart(Path logDir, int port) {
        boolean temporary = logDir == null;
        Path dir = temporary ? Dirs.createTemp("vbank-kafka-") : Dirs.createPersistent(logDir);
        int clientPort = Ports.orFree(port);
        int controllerPort = Ports.free();
        KafkaConfig config = new KafkaConfig(brokerProperties(dir, clientPort, controllerPort), false);
        KafkaRaftServer server = null;
        try {
            formatIfNeeded(dir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            KafkaServer started = new KafkaServer(server, dir, temporary, clientPort);
            started.awaitReady();
            return started;
        } catch (RuntimeException | Error e) {
            if (server != null) {
                shutdownQuietly(server);
            }
            if (temporary) {
                Dirs.deleteQuietly(dir);
            }
            throw new IllegalStateException("Kafka did not start on port " + clientPort + " with log dir " + dir, e);
        }
    }

    private static Properties brokerProperties(Path dir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", "PLAINTEXT://localhost:" + clientPort + "," + CONTROLLER_LISTENER + "://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        // one node: every internal topic gets a single replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // fewer internal partitions and threads: first consumer group joins in ~1 s instead of ~10 s on 2 cores
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.num.partitions", "4");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        // the default 128 MiB dedupe buffer is allocated on this JVM's heap
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
        return p;
    }

    private static void formatIfNeeded(Path dir) {
        if (Files.exists(dir.resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka log dir " + dir + ": " + out.toString(StandardCharsets.UTF_8), e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    last = e;
                }
                sleep(100);
            }
        }
        throw new IllegalStateException("Kafka broker on " + bootstrapServers() + " not ready within " + READY_TIMEOUT, last);
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    public int port() {
        return port;
    }

    /** The persistent log directory, or {@code null} when temporary. */
    public Path logDir() {
        return temporary ? null : logDir;
    }

    /** A new admin client for this broker; the caller closes it. */
    public Admin admin() {
        return OwnClassLoader.call(() -> Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000")));
    }

    /** Creates the topics with one partition each; topics that already exist are left alone. */
    public void createTopics(String... names) {
        createTopics(1, names);
    }

    public void createTopics(int partitions, String... names) {
        List<NewTopic> topics = Arrays.stream(names).map(n -> new NewTopic(n, partitions, (short) 1)).toList();
        try (Admin admin = admin()) {
            for (var entry : admin.createTopics(topics).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + Arrays.toString(names), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topics " + Arrays.toString(names), e);
        }
    }

    @Override
    public void close() {
        shutdownQuietly(server);
        if (temporary) {
            Dirs.deleteQuietly(logDir);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaServer[" + bootstrapServers() + (temporary ? ", temporary" : ", " + logDir) + "]";
    }
}
