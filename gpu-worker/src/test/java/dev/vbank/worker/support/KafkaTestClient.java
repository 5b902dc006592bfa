package dev.vbank.worker.support;

import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The scheduler's side of the topics, for tests: publishes commands and reads every worker event in order. */
public final class KafkaTestClient implements AutoCloseable {

    /** A worker event and when the test read it. */
    public record Received(WorkerEvent event, long receivedNanos) {
    }

    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final List<Received> events = new ArrayList<>();

    public KafkaTestClient(String bootstrap) {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> parts = consumer.partitionsFor(Topics.JOB_EVENTS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(consumer::position);
    }

    public void send(String topic, String key, Object value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, Json.mapper().writeValueAsString(value))).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads events until {@code done} holds for the events of {@code jobId} so far; returns them. */
    public List<Received> await(String jobId, Predicate<List<WorkerEvent>> done, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Received> mine = of(jobId);
            if (done.test(mine.stream().map(Received::event).toList())) {
                return mine;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout + " waiting for events of " + jobId + "; got "
                        + mine.stream().map(r -> r.event().kind() + (r.event().event() == null ? ""
                        : " " + r.event().event().message())).toList());
            }
            poll();
        }
    }

    public List<Received> of(String jobId) {
        return events.stream().filter(r -> r.event().jobId().equals(jobId)).toList();
    }

    public void poll() {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            try {
                events.add(new Received(Json.mapper().readValue(r.value(), WorkerEvent.class), System.nanoTime()));
            } catch (Exception e) {
                throw new AssertionError("the worker published an event the scheduler cannot read: " + r.value(), e);
            }
        }
    }

    public static boolean has(List<WorkerEvent> events, WorkerEvent.Kind kind) {
        return events.stream().anyMatch(e -> e.kind() == kind);
    }

    @Override
    public void close() {
        producer.close();
        consumer.close();
    }
}
