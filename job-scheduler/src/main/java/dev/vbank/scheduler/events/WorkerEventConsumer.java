package dev.vbank.scheduler.events;

import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.SchedulerConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code vbank.jobs.events} in group {@code job-scheduler} and hands each record to the {@link WorkerEventHandler}.
 * Offsets are committed by hand, per partition, only after the records' database transactions committed; when the
 * database fails, the partition is rewound to the failed record and retried after a pause.
 */
public final class WorkerEventConsumer implements Runnable {

    private static final Logger LOG = Logger.getLogger(WorkerEventConsumer.class);

    private final KafkaConsumer<String, String> consumer;
    private final WorkerEventHandler handler;
    private volatile boolean running = true;

    public WorkerEventConsumer(String bootstrapServers, SchedulerConfig config, WorkerEventHandler handler) {
        this.handler = handler;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, config.kafka().groupId(),
                ConsumerConfig.CLIENT_ID_CONFIG, "job-scheduler-events",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200),
                new StringDeserializer(), new StringDeserializer());
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(Topics.JOB_EVENTS));
            while (running) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                for (TopicPartition partition : records.partitions()) {
                    if (!process(partition, records.records(partition))) {
                        rewindRest(records, partition);
                        sleep(1000);
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("worker event consumer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private boolean process(TopicPartition partition, List<ConsumerRecord<String, String>> records) {
        long next = -1;
        try {
            for (ConsumerRecord<String, String> record : records) {
                handler.handle(record.value());
                next = record.offset() + 1;
            }
            return true;
        } catch (RuntimeException e) {
            LOG.warnf("applying worker events of %s failed, retrying: %s", partition, e.toString());
            return false;
        } finally {
            if (next >= 0) {
                consumer.commitSync(Map.of(partition, new OffsetAndMetadata(next)));
                consumer.seek(partition, next);
            }
            if (next < 0 && !records.isEmpty()) {
                consumer.seek(partition, records.get(0).offset());
            }
        }
    }

    private void rewindRest(ConsumerRecords<String, String> records, TopicPartition failed) {
        boolean after = false;
        for (TopicPartition p : records.partitions()) {
            if (after) {
                consumer.seek(p, records.records(p).get(0).offset());
            }
            after |= p.equals(failed);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void stop() {
        running = false;
        consumer.wakeup();
    }
}
