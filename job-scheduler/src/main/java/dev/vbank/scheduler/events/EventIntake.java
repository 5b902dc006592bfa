package dev.vbank.scheduler.events;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this scheduler currently hears the workers: its event consumer holds partitions, reaches the broker and
 * applies what it reads to the database. A lease only means something while it does: heartbeats sent while the broker,
 * the database or the consumer was down arrive late, not never. So the reaper judges no lease while the scheduler is
 * deaf, and when it hears again every running lease is first extended by one lease period ({@link #takeRecovery()}).
 * With several schedulers each hears only the partitions of {@code vbank.jobs.events} assigned to it, so it judges
 * only the jobs whose events land there ({@link #hears(String)}); a partition it newly takes over (another scheduler
 * died or left) counts as a return to hearing.
 */
@ApplicationScoped
public class EventIntake {

    private static final Logger LOG = Logger.getLogger(EventIntake.class);

    private volatile boolean hearing;
    private volatile Set<Integer> partitions = Set.of();
    private volatile int partitionCount;
    private volatile String deafBecause = "the event consumer has not started";
    private final AtomicBoolean recovered = new AtomicBoolean();

    public boolean hearing() {
        return hearing;
    }

    public String deafBecause() {
        return hearing ? null : deafBecause;
    }

    void hears() {
        if (!hearing) {
            hearing = true;
            recovered.set(true);
            LOG.infof("worker events are heard again (was deaf: %s)", deafBecause);
        }
    }

    void deaf(String why) {
        if (hearing) {
            LOG.warnf("worker events are not heard: %s; leases are not judged until they are", why);
        }
        hearing = false;
        deafBecause = why;
    }

    /** The partitions of the events topic this scheduler now reads, out of {@code count}. */
    void assigned(Set<Integer> now, int count) {
        boolean gained = !partitions.containsAll(now);
        partitions = Set.copyOf(now);
        partitionCount = count;
        if (gained) {
            recovered.set(true);
            LOG.infof("worker events: now reading partitions %s of %d", now, count);
        }
    }

    /** Whether the events of this job reach this scheduler now (the worker keys them by job id). */
    public boolean hears(String jobId) {
        int count = partitionCount;
        return hearing && count > 0 && partitions.contains(partitionOf(jobId, count));
    }

    /** The partition Kafka's default partitioner picks for a record keyed by {@code jobId}. */
    static int partitionOf(String jobId, int count) {
        return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % count;
    }

    /** True once after each return to hearing (the first one included): the moment to extend running leases. */
    public boolean takeRecovery() {
        return recovered.getAndSet(false);
    }
}
