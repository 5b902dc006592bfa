package dev.vbank.scheduler.events;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this scheduler currently hears the workers: its event consumer holds partitions, reaches the broker and
 * applies what it reads to the database. A lease only means something while it does: heartbeats sent while the broker,
 * the database or the consumer was down arrive late, not never. So the reaper judges no lease while the scheduler is
 * deaf, and when it hears again every running lease is first extended by one lease period ({@link #takeRecovery()}).
 */
@ApplicationScoped
public class EventIntake {

    private static final Logger LOG = Logger.getLogger(EventIntake.class);

    private volatile boolean hearing;
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

    /** True once after each return to hearing (the first one included): the moment to extend running leases. */
    public boolean takeRecovery() {
        return recovered.getAndSet(false);
    }
}
