package dev.vbank.scheduler.support;

import dev.vbank.common.job.JobStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

public final class TestSupport {

    private TestSupport() {
    }

    /** Empties the job tables: dispatch and reaping look at every tenant, so those tests start from nothing. */
    public static void reset(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("truncate scheduler.job_events, scheduler.checkpoints, scheduler.outbox, scheduler.evaluation_results,"
                    + " scheduler.evaluation_items, scheduler.jobs, scheduler.evaluations");
        }
    }

    public static String tenant(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Inserts a job straight into a status; running and cancelling jobs get a live lease. */
    public static String insertJob(DataSource ds, String tenant, JobStatus status, long ageMillis) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return insertJob(c, tenant, status, ageMillis);
        }
    }

    /** The same on the caller's connection (and transaction). */
    public static String insertJob(Connection c, String tenant, JobStatus status, long ageMillis) throws SQLException {
        String id = "ftjob-test" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        boolean leased = status == JobStatus.RUNNING || status == JobStatus.CANCELLING;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.jobs (id, tenant_id, status, max_attempts, model, training_file, method_type, seed,
                    created_at, lease_token, lease_expires_at)
                values (?, ?, ?, 3, 'all-minilm-l6-v2', 'file-train', 'vblora', 42,
                    clock_timestamp() - ? * interval '1 millisecond',
                    case when ? then gen_random_uuid()::text end,
                    case when ? then clock_timestamp() + interval '1 minute' end)""")) {
            ps.setString(1, id);
            ps.setString(2, tenant);
            ps.setString(3, status.wireName());
            ps.setLong(4, ageMillis);
            ps.setBoolean(5, leased);
            ps.setBoolean(6, leased);
            ps.executeUpdate();
        }
        return id;
    }

    public static Object scalar(DataSource ds, String sql, Object... args) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    public static long count(DataSource ds, String sql, Object... args) throws SQLException {
        return ((Number) scalar(ds, sql, args)).longValue();
    }

    public static int update(DataSource ds, String sql, Object... args) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public interface SqlCheck {
        boolean test() throws Exception;
    }

    public static BooleanSupplier sql(SqlCheck check) {
        return () -> {
            try {
                return check.test();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    // ---- Kafka

    public static void ensureTopics(String bootstrap, String... topics) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String topic : topics) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
    }

    /** A consumer on every partition of {@code topic}, positioned at its current end. */
    public static KafkaConsumer<String, String> tail(String bootstrap, String topic) throws InterruptedException {
        ensureTopics(bootstrap, topic);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new StringDeserializer());
        // a topic created a moment ago may have no partition metadata yet on a busy machine: ask again
        List<TopicPartition> partitions = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (partitions.isEmpty() && System.nanoTime() < deadline) {
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                Thread.sleep(200);
            }
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    /** Polls until {@code count} records matching {@code filter} arrived (or fails after the timeout). */
    public static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, int count,
                                                            Duration timeout,
                                                            Predicate<ConsumerRecord<String, String>> filter) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (found.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                if (filter.test(r)) {
                    found.add(r);
                }
            }
        }
        return found;
    }

    public static void produce(String bootstrap, String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }
}
