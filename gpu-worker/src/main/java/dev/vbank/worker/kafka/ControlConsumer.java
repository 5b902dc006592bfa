package dev.vbank.worker.kafka;

import dev.vbank.common.command.CancelJob;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every worker must see every cancel, so this consumer joins no group: it assigns itself all partitions of
 * {@code vbank.jobs.control}, starts {@code lookback} in the past (a cancel published while the worker was starting
 * still counts) and never commits. New partitions are picked up every minute.
 */
public final class ControlConsumer implements Runnable {

    private static final Logger LOG = Logger.getLogger(ControlConsumer.class);

    private final KafkaConsumer<String, String> consumer;
    private final CancelRegistry cancels;
    private final Duration lookback;
    private volatile boolean running = true;

    public ControlConsumer(String bootstrapServers, String workerId, CancelRegistry cancels, Duration lookback) {
        this.cancels = cancels;
        this.lookback = lookback;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "gpu-worker-control-" + workerId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer());
    }

    @Override
    public void run() {
        try {
            long nextRefresh = 0;
            while (running) {
                if (System.currentTimeMillis() >= nextRefresh) {
                    try {
                        assignNewPartitions();
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        LOG.debugf("control topic metadata not available yet: %s", e.getMessage());
                    }
                    cancels.forgetOlderThan(lookback.plus(lookback));
                    nextRefresh = System.currentTimeMillis() + 60_000;
                }
                if (consumer.assignment().isEmpty()) {
                    sleep(1000);
                    nextRefresh = 0;
                    continue;
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    handle(r.value());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("control consumer stopped; cancels are no longer seen", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    void handle(String json) {
        try {
            CancelJob c = Json.mapper().readerFor(CancelJob.class)
                    .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(json);
            if (c.jobId() != null) {
                LOG.infof("cancel of %s (attempt %d): %s", c.jobId(), c.attempt(), c.reason());
                cancels.cancel(c.jobId(), c.attempt());
            }
        } catch (Exception e) {
            LOG.warnf("dropping an unreadable control record: %s", e.getMessage());
        }
    }

    private void assignNewPartitions() {
        List<PartitionInfo> infos = consumer.partitionsFor(Topics.JOB_CONTROL, Duration.ofSeconds(10));
        if (infos == null || infos.isEmpty()) {
            return;
        }
        List<TopicPartition> all = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        List<TopicPartition> added = all.stream().filter(p -> !consumer.assignment().contains(p)).toList();
        if (added.isEmpty()) {
            return;
        }
        consumer.assign(all);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = Instant.now().minus(lookback).toEpochMilli();
        added.forEach(p -> since.put(p, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since, Duration.ofSeconds(10));
        Map<TopicPartition, Long> ends = consumer.endOffsets(added, Duration.ofSeconds(10));
        for (TopicPartition p : added) {
            OffsetAndTimestamp o = offsets.get(p);
            consumer.seek(p, o != null ? o.offset() : ends.get(p));
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
