package dev.vbank.scheduler.dispatch;

import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.service.db.Db;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends outbox rows to Kafka in id order and marks them published. The rows stay locked while they are sent and are marked
 * only after the broker acknowledged every one of them (acks=all, idempotent producer); a crash or a send failure in between
 * leaves them unpublished, so the next round sends them again: delivery is at least once, and consumers dedupe.
 * A transaction-scoped advisory lock keeps one publisher active across replicas, which keeps each job's records in order.
 */
@ApplicationScoped
public class OutboxPublisher {

    private static final Logger LOG = Logger.getLogger(OutboxPublisher.class);
    static final long PUBLISH_LOCK = 0x7662707562L;

    private final Db db;
    private final SchedulerConfig config;
    private final String bootstrapServers;
    private final Counter published;
    private Producer<String, String> producer;

    public OutboxPublisher(Db db, SchedulerConfig config,
                           @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                           MeterRegistry registry) {
        this.published = Counter.builder("vbank.scheduler.outbox.published").description("outbox records sent to Kafka")
                .register(registry);
        this.db = db;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    private record Row(long id, String topic, String key, String payload) {
    }

    /** Publishes one batch; returns how many rows it marked published (0 when another replica holds the lock). */
    public int publishOnce() {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_xact_lock(?)")) {
                ps.setLong(1, PUBLISH_LOCK);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return 0;
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select id, topic, key, payload::text from scheduler.outbox where published_at is null
                    order by id limit ? for update""")) {
                ps.setInt(1, config.batchSize());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                    }
                }
            }
            if (rows.isEmpty()) {
                return 0;
            }
            send(rows);
            try (PreparedStatement ps = c.prepareStatement(
                    "update scheduler.outbox set published_at = clock_timestamp() where id = any (?)")) {
                ps.setArray(1, c.createArrayOf("bigint", rows.stream().map(Row::id).toArray()));
                ps.executeUpdate();
            }
            published.increment(rows.size());
            return rows.size();
        });
    }

    private void send(List<Row> rows) {
        List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
        for (Row row : rows) {
            acks.add(producer().send(new ProducerRecord<>(row.topic(), row.key(), row.payload())));
        }
        long deadline = System.nanoTime() + config.kafka().sendTimeout().toNanos();
        try {
            for (Future<RecordMetadata> ack : acks) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing the outbox", e);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("outbox publish failed, will retry: %s", e.getCause() != null ? e.getCause() : e);
            throw new IllegalStateException("outbox publish failed", e);
        }
    }

    private synchronized Producer<String, String> producer() {
        if (producer == null) {
            int timeout = (int) config.kafka().sendTimeout().toMillis();
            producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ProducerConfig.CLIENT_ID_CONFIG, "job-scheduler-outbox",
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                    ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout,
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout),
                    new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    @PreDestroy
    synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
