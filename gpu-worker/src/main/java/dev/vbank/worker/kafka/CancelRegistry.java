package dev.vbank.worker.kafka;

import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cancels seen on {@code vbank.jobs.control}, by job id: the highest cancelled attempt and when it was seen. The
 * training loop polls {@link #isCancelled} before every optimizer step, so a cancel that arrives before its dispatch
 * is started (or while the job downloads) still stops it.
 */
@ApplicationScoped
public class CancelRegistry {

    private record Cancel(int attempt, Instant seen) {
    }

    private final Map<String, Cancel> cancels = new ConcurrentHashMap<>();

    public void cancel(String jobId, int attempt) {
        cancels.merge(jobId, new Cancel(attempt, Instant.now()),
                (a, b) -> new Cancel(Math.max(a.attempt(), b.attempt()), b.seen()));
    }

    /** A cancel for this attempt or a later one (a later attempt's cancel makes this one stale as well). */
    public boolean isCancelled(String jobId, int attempt) {
        Cancel c = cancels.get(jobId);
        return c != null && c.attempt() >= attempt;
    }

    public void forgetOlderThan(Duration age) {
        Instant limit = Instant.now().minus(age);
        cancels.values().removeIf(c -> c.seen().isBefore(limit));
    }
}
