package dev.vbank.worker.kafka;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.json.Json;
import dev.vbank.common.kafka.Topics;
import dev.vbank.worker.WorkerConfig;
import dev.vbank.worker.train.JobRunner;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's member of consumer group {@code gpu-worker} on {@code vbank.jobs.dispatch}; one job at a time.
 * <p>
 * A dispatch is handed to the training thread and the poll loop goes on: while a job runs, every assigned partition is
 * paused (also partitions a rebalance assigns meanwhile), so {@code poll()} returns nothing but keeps the member alive
 * — a training run of hours never exceeds {@code max.poll.interval.ms}. When the job ends the partitions resume.
 * <p>
 * Delivery: the record's offset is committed when its job is handed to the training thread, not when the job ends.
 * A worker that dies mid-job is not replaced by redelivery but by the scheduler's lease: its heartbeats stop, the lease
 * expires and the job is dispatched again as the next attempt, from its last uploaded checkpoint. Committing at the end
 * instead would, on every rebalance during a long job, hand the record (same attempt, same lease) to a second worker
 * while the first still trains it. A record delivered twice anyway (a crash between poll and commit) is dropped by the
 * claim in {@code worker.job_runs} on (job, attempt, lease).
 */
public final class DispatchConsumer implements Runnable {

    private static final Logger LOG = Logger.getLogger(DispatchConsumer.class);
    /** Fields a newer scheduler adds must not make this worker drop the job. */
    private static final com.fasterxml.jackson.databind.ObjectReader READER = Json.mapper().readerFor(DispatchJob.class)
            .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final KafkaConsumer<String, String> consumer;
    private final JobRunner runner;
    private final Duration pollTimeout;
    private final ExecutorService trainer;
    private final AtomicInteger revocations = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private volatile Future<JobRunner.Outcome> current;
    private volatile String currentJob;
    private volatile boolean running = true;

    public DispatchConsumer(String bootstrapServers, String workerId, WorkerConfig config, JobRunner runner) {
        this.runner = runner;
        this.pollTimeout = config.kafka().pollTimeout();
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, config.kafka().groupId(),
                ConsumerConfig.CLIENT_ID_CONFIG, "gpu-worker-dispatch-" + workerId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1,
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) config.kafka().maxPollInterval().toMillis(),
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.kafka().sessionTimeout().toMillis()),
                new StringDeserializer(), new StringDeserializer());
        this.trainer = Executors.newSingleThreadExecutor(r -> new Thread(r, "gpu-worker-training"));
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(Topics.JOB_DISPATCH), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        revocations.incrementAndGet();
                        LOG.infof("dispatch partitions revoked: %s", partitions);
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (busy()) {
                        consumer.pause(partitions);
                    }
                }
            });
            while (running) {
                var records = consumer.poll(pollTimeout);
                if (current != null && current.isDone()) {
                    finishCurrent();
                }
                for (ConsumerRecord<String, String> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (busy() || !running) {
                        // only reachable if a partition was not paused in time: read it again later
                        consumer.seek(tp, r.offset());
                        continue;
                    }
                    start(tp, r);
                }
                if (busy() && !consumer.paused().containsAll(consumer.assignment())) {
                    consumer.pause(consumer.assignment());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("dispatch consumer stopped; this worker takes no more jobs", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void start(TopicPartition tp, ConsumerRecord<String, String> r) {
        DispatchJob job;
        try {
            job = READER.readValue(r.value());
            if (job.jobId() == null || job.leaseToken() == null || job.tenantId() == null
                    || (job.method() == null && job.evaluation() == null)) {
                throw new IllegalArgumentException("job id, tenant, lease token and method (or evaluation) are required");
            }
        } catch (Exception e) {
            LOG.warnf("dropping an unreadable dispatch at %s@%d: %s", tp, r.offset(), e.getMessage());
            commit(tp, r.offset() + 1);
            return;
        }
        if (leaseExpiredBeforeStart(r, job)) {
            // the scheduler takes such an attempt back without counting it and dispatches it again with a new lease
            LOG.infof("skipping %s attempt %d (%s@%d): it waited %d s for a free worker, longer than its %d s lease",
                    job.jobId(), job.attempt(), tp, r.offset(), (System.currentTimeMillis() - r.timestamp()) / 1000,
                    job.leaseSeconds());
            commit(tp, r.offset() + 1);
            return;
        }
        consumer.pause(consumer.assignment());
        commit(tp, r.offset() + 1);
        LOG.infof("starting %s attempt %d of tenant %s (%s@%d)", job.jobId(), job.attempt(), job.tenantId(), tp,
                r.offset());
        started.incrementAndGet();
        currentJob = job.jobId();
        current = trainer.submit(() -> runner.run(job));
    }

    /** The record's timestamp is when the scheduler's outbox published the dispatch, at or after the lease began. */
    static boolean leaseExpiredBeforeStart(ConsumerRecord<String, String> r, DispatchJob job) {
        return r.timestamp() > 0 && job.leaseSeconds() > 0
                && r.timestamp() + job.leaseSeconds() * 1000 < System.currentTimeMillis();
    }

    private void commit(TopicPartition tp, long next) {
        try {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(next)));
        } catch (KafkaException e) {
            // the partition moved on in a rebalance: the new owner may read the record again, the run claim dedupes
            LOG.warnf("commit of %s@%d failed: %s", tp, next, e.toString());
        }
    }

    private void finishCurrent() {
        try {
            LOG.infof("%s ended: %s", currentJob, current.get());
        } catch (Exception e) {
            LOG.errorf(e, "%s ended with an error", currentJob);
        }
        current = null;
        currentJob = null;
        if (running) {
            consumer.resume(consumer.paused());
        }
    }

    public boolean busy() {
        return current != null;
    }

    public String currentJob() {
        return currentJob;
    }

    /** Rebalances that took partitions from this member (a member that misses max.poll.interval loses them all). */
    public int revocations() {
        return revocations.get();
    }

    public int started() {
        return started.get();
    }

    /** Stops taking jobs; a running job is stopped at its next step (checkpoint uploaded) and awaited up to {@code grace}. */
    public void stop(Duration grace) {
        running = false;
        runner.shutdown();
        Future<?> f = current;
        if (f != null) {
            try {
                f.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warnf("the running job did not stop within %s: %s", grace, e.toString());
            }
        }
        trainer.shutdownNow();
        try {
            consumer.wakeup();
        } catch (RuntimeException ignored) {
            // already closed by the poll thread
        }
    }
}
