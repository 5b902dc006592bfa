package dev.vbank.scheduler;

import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Starts a background loop's next round as soon as this scheduler committed work for it (a new job to validate, a job
 * queued or a slot freed, outbox rows written) instead of at its next tick; the ticks remain for work that other replicas
 * committed.
 */
@ApplicationScoped
public class Wakeups {

    public enum Loop { VALIDATE, DISPATCH, PUBLISH }

    private final Map<Loop, Semaphore> signals = new EnumMap<>(Loop.class);

    public Wakeups() {
        for (Loop loop : Loop.values()) {
            signals.put(loop, new Semaphore(0));
        }
    }

    /** Call after the commit: the loop's next round then sees the work. */
    public void wake(Loop loop) {
        Semaphore s = signals.get(loop);
        if (s.availablePermits() == 0) {
            s.release();
        }
    }

    /** Waits for a wake-up or the interval, whichever comes first; wake-ups that came meanwhile are consumed. */
    void await(Loop loop, Duration interval) throws InterruptedException {
        Semaphore s = signals.get(loop);
        s.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
        s.drainPermits();
    }
}
