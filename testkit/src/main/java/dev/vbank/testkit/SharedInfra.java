package dev.vbank.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One temporary server of each kind per class loader, started on first use and stopped when the JVM exits, so that
 * test classes in a module do not each pay for their own PostgreSQL, Kafka and S3.
 * {@link VbankInfraResource} reaches this class through the system class loader, because Quarkus loads each
 * restarted test application (and its test resources) in a fresh class loader.
 */
public final class SharedInfra {

    public enum Need { POSTGRES, KAFKA, S3 }

    private static PostgresServer postgres;
    private static KafkaServer kafka;
    private static S3Server s3;
    private static final List<AutoCloseable> STARTED = Collections.synchronizedList(new ArrayList<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(SharedInfra::closeAll, "vbank-testkit-shutdown"));
    }

    private SharedInfra() {
    }

    public static synchronized PostgresServer postgres() {
        if (postgres == null) {
            postgres = started(PostgresServer::start);
        }
        return postgres;
    }

    public static synchronized KafkaServer kafka() {
        if (kafka == null) {
            kafka = started(KafkaServer::start);
        }
        return kafka;
    }

    public static synchronized S3Server s3() {
        if (s3 == null) {
            s3 = started(S3Server::start);
        }
        return s3;
    }

    /**
     * Starts (in parallel) what is needed and returns the Quarkus configuration pointing at it. Only strings cross
     * this method, so it can be called from another class loader.
     *
     * @param needs  comma-separated subset of {@code postgres,kafka,s3}
     * @param topics comma-separated topics to create when Kafka is needed; may be empty
     */
    public static Map<String, String> quarkusConfig(String needs, String topics) {
        Set<Need> parsed = parseNeeds(needs);
        CompletableFuture<PostgresServer> pg = startIf(parsed.contains(Need.POSTGRES), SharedInfra::postgres);
        CompletableFuture<KafkaServer> k = startIf(parsed.contains(Need.KAFKA), SharedInfra::kafka);
        CompletableFuture<S3Server> s = startIf(parsed.contains(Need.S3), SharedInfra::s3);

        Map<String, String> config = new HashMap<>();
        config.put("quarkus.devservices.enabled", "false");
        try {
            if (pg.join() != null) {
                config.putAll(postgresConfig(pg.join()));
            }
            if (k.join() != null) {
                String[] names = Arrays.stream(topics.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                        .toArray(String[]::new);
                if (names.length > 0) {
                    k.join().createTopics(names);
                }
                config.putAll(kafkaConfig(k.join()));
            }
            if (s.join() != null) {
                config.putAll(s3Config(s.join()));
            }
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        return config;
    }

    private static <T> CompletableFuture<T> startIf(boolean needed, Supplier<T> starter) {
        return needed ? CompletableFuture.supplyAsync(starter) : CompletableFuture.completedFuture(null);
    }

    public static Set<Need> parseNeeds(String value) {
        Set<Need> parsed = EnumSet.noneOf(Need.class);
        for (String part : value.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            try {
                parsed.add(Need.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown need '" + name + "' in needs=" + value
                        + "; expected a comma-separated subset of "
                        + Arrays.stream(Need.values()).map(n -> n.name().toLowerCase(Locale.ROOT))
                                .collect(Collectors.joining(",")), e);
            }
        }
        return parsed;
    }

    public static Map<String, String> postgresConfig(PostgresServer pg) {
        return Map.of(
                "quarkus.datasource.jdbc.url", pg.jdbcUrl(),
                "quarkus.datasource.username", pg.username(),
                "quarkus.datasource.password", pg.password());
    }

    public static Map<String, String> kafkaConfig(KafkaServer kafka) {
        return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
    }

    public static Map<String, String> s3Config(S3Server s3) {
        return Map.of(
                "vbank.s3.endpoint", s3.endpoint(),
                "vbank.s3.access-key", s3.accessKey(),
                "vbank.s3.secret-key", s3.secretKey(),
                "vbank.s3.bucket", s3.bucket());
    }

    private static <T extends AutoCloseable> T started(Supplier<T> starter) {
        T server = starter.get();
        STARTED.add(server);
        return server;
    }

    private static void closeAll() {
        List<AutoCloseable> servers;
        synchronized (STARTED) {
            servers = new ArrayList<>(STARTED);
        }
        Collections.reverse(servers);
        for (AutoCloseable server : servers) {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("vbank testkit: " + server + " did not stop cleanly: " + e);
            }
        }
    }
}
