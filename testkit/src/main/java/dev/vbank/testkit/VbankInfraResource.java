package dev.vbank.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * Quarkus test resource that points a service at real PostgreSQL, Kafka and S3 servers from this testkit.
 * <pre>
 * &#64;WithTestResource(value = VbankInfraResource.class, initArgs = {
 *     &#64;ResourceArg(name = "needs", value = "postgres,kafka,s3"),
 *     &#64;ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events") })
 * </pre>
 * {@code needs} defaults to all three; {@code topics} are created up front (optional). Servers are shared per JVM
 * (see {@link SharedInfra}) and started in parallel.
 */
public class VbankInfraResource implements QuarkusTestResourceLifecycleManager {

    public static final String NEEDS = "needs";
    public static final String TOPICS = "topics";

    public enum Need { POSTGRES, KAFKA, S3 }

    private Set<Need> needs = EnumSet.allOf(Need.class);
    private List<String> topics = List.of();

    @Override
    public void init(Map<String, String> initArgs) {
        String value = initArgs.get(NEEDS);
        if (value != null) {
            needs = parseNeeds(value);
        }
        String topicList = initArgs.get(TOPICS);
        if (topicList != null) {
            topics = Arrays.stream(topicList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
    }

    static Set<Need> parseNeeds(String value) {
        Set<Need> parsed = EnumSet.noneOf(Need.class);
        for (String part : value.split(",")) {
            String name = part.trim();
            if (name.isEmpty()) {
                continue;
            }
            try {
                parsed.add(Need.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown need '" + name + "' in " + NEEDS + "=" + value
                        + "; expected a comma-separated subset of "
                        + Arrays.stream(Need.values()).map(n -> n.name().toLowerCase(Locale.ROOT))
                                .collect(Collectors.joining(",")), e);
            }
        }
        return parsed;
    }

    @Override
    public Map<String, String> start() {
        CompletableFuture<PostgresServer> postgres = needs.contains(Need.POSTGRES)
                ? CompletableFuture.supplyAsync(SharedInfra::postgres) : CompletableFuture.completedFuture(null);
        CompletableFuture<KafkaServer> kafka = needs.contains(Need.KAFKA)
                ? CompletableFuture.supplyAsync(SharedInfra::kafka) : CompletableFuture.completedFuture(null);
        CompletableFuture<S3Server> s3 = needs.contains(Need.S3)
                ? CompletableFuture.supplyAsync(SharedInfra::s3) : CompletableFuture.completedFuture(null);

        Map<String, String> config = new HashMap<>();
        config.put("quarkus.devservices.enabled", "false");
        try {
            PostgresServer pg = postgres.join();
            if (pg != null) {
                config.putAll(postgresConfig(pg));
            }
            KafkaServer k = kafka.join();
            if (k != null) {
                if (!topics.isEmpty()) {
                    k.createTopics(topics.toArray(String[]::new));
                }
                config.putAll(kafkaConfig(k));
            }
            S3Server s = s3.join();
            if (s != null) {
                config.putAll(s3Config(s));
            }
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        return config;
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

    @Override
    public void stop() {
        // shared servers outlive a single test class; SharedInfra stops them at JVM exit
    }
}
