package dev.vbank.scheduler.events;

import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.SchedulerConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;

/**
 * Reads {@code vbank.jobs.events} in group {@code job-scheduler} and hands each record to the {@link WorkerEventHandler}.
 * Offsets are committed by hand, per partition, only after the records' database transactions committed; when the
 * database fails, the partition is rewound to the failed record and retried after a pause.
 */
public final class WorkerEventConsumer implements Runnable {

    private static final Logger LOG = Logger.getLogger(WorkerEventConsumer.class);

    private final KafkaConsumer<String, String> consumer;
    /** Group heartbeats go every 3 s (Kafka's default): two missed in a row mean the broker is away. */
    private static final double BROKER_SILENCE_SECONDS = 7;

    private final WorkerEventHandler handler;
    private final EventIntake intake;
    private volatile boolean running = true;

    public WorkerEventConsumer(String bootstrapServers, SchedulerConfig config, WorkerEventHandler handler,
                               EventIntake intake) {
        this.handler = handler;
        this.intake = intake;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, config.kafka().groupId(),
                ConsumerConfig.CLIENT_ID_CONFIG, "job-scheduler-events",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200,
                // a scheduler that dies hands its partitions on after this long; until then nobody judges their leases
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.kafka().sessionTimeout().toMillis()),
                new StringDeserializer(), new StringDeserializer());
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(Topics.JOB_EVENTS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    intake.assigned(numbers(consumer.assignment(), partitions), partitionCount());
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    intake.assigned(numbers(consumer.assignment(), List.of()), partitionCount());
                }
            });
            while (running) {
                try {
                    pollOnce();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a commit that timed out while the broker was away, a rebalance mid-commit: the records are
                    // applied again later (the handler is idempotent); the loop must not die with them
                    intake.deaf(e.toString());
                    LOG.warnf("worker event round failed, going on: %s", e.toString());
                    sleep(1000);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                LOG.error("worker event consumer woken while running", e);
            }
        } finally {
            intake.deaf("the event consumer stopped");
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void pollOnce() {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        for (TopicPartition partition : records.partitions()) {
            if (!process(partition, records.records(partition))) {
                intake.deaf("applying worker events to the database fails");
                rewindRest(records, partition);
                sleep(1000);
                return;
            }
        }
        String deaf = deafness();
        if (deaf == null) {
            intake.hears();
        } else {
            intake.deaf(deaf);
        }
    }

    private static Set<Integer> numbers(Set<TopicPartition> assignment, Collection<TopicPartition> leaving) {
        Set<Integer> out = new TreeSet<>();
        for (TopicPartition p : assignment) {
            if (!leaving.contains(p)) {
                out.add(p.partition());
            }
        }
        return out;
    }

    private int partitionCount() {
        try {
            return consumer.partitionsFor(Topics.JOB_EVENTS, Duration.ofSeconds(5)).size();
        } catch (RuntimeException e) {
            return 0; // no judging until the topic's size is known again
        }
    }

    /** Why the consumer cannot be hearing the workers now, or null. */
    private String deafness() {
        if (consumer.assignment().isEmpty()) {
            return "no partition of " + Topics.JOB_EVENTS + " is assigned";
        }
        for (var e : consumer.metrics().entrySet()) {
            if (e.getKey().name().equals("last-heartbeat-seconds-ago")
                    && e.getKey().group().equals("consumer-coordinator-metrics")
                    && e.getValue().metricValue() instanceof Number n && n.doubleValue() > BROKER_SILENCE_SECONDS) {
                return "no group heartbeat answered by the broker for " + n.longValue() + " s";
            }
        }
        return null;
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
