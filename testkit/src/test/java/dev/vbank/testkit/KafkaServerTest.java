package dev.vbank.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaServerTest {

    @Test
    void producesAndConsumesARecord() throws Exception {
        try (KafkaServer kafka = KafkaServer.start()) {
            kafka.createTopics(3, "vbank.jobs.dispatch");
            kafka.createTopics(3, "vbank.jobs.dispatch"); // idempotent
            try (Admin admin = kafka.admin()) {
                assertThat(admin.describeTopics(List.of("vbank.jobs.dispatch")).allTopicNames().get()
                        .get("vbank.jobs.dispatch").partitions()).hasSize(3);
            }
            send(kafka, "vbank.jobs.dispatch", "job-1", "{\"attempt\":1}");

            List<ConsumerRecord<String, String>> records = consume(kafka, "vbank.jobs.dispatch", "workers", 1);
            assertThat(records).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo("job-1");
                assertThat(r.value()).isEqualTo("{\"attempt\":1}");
            });
        }
    }

    @Test
    void persistentLogDirKeepsTopicsAndCommittedOffsetsAcrossRestart(@TempDir Path tmp) throws Exception {
        Path logDir = tmp.resolve("kafka");
        try (KafkaServer kafka = KafkaServer.start(logDir, 0)) {
            kafka.createTopics("vbank.jobs.events");
            send(kafka, "vbank.jobs.events", "job-1", "first");
            send(kafka, "vbank.jobs.events", "job-1", "second");
            assertThat(consume(kafka, "vbank.jobs.events", "scheduler", 2)).hasSize(2);
        }
        try (KafkaServer kafka = KafkaServer.start(logDir, 0)) {
            try (Admin admin = kafka.admin()) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("vbank.jobs.events");
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("scheduler")
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertThat(offsets.get(new TopicPartition("vbank.jobs.events", 0)).offset()).isEqualTo(2);
            }
            send(kafka, "vbank.jobs.events", "job-1", "third");
            assertThat(consume(kafka, "vbank.jobs.events", "scheduler", 1))
                    .extracting(ConsumerRecord::value).containsExactly("third");
        }
    }

    private static void send(KafkaServer kafka, String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<ConsumerRecord<String, String>> consume(KafkaServer kafka, String topic, String group,
                                                                 int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            consumer.commitSync();
        }
        return records;
    }
}
