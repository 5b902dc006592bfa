package dev.vbank.common.command;

import dev.vbank.common.event.JobEvent;

/**
 * What a worker publishes on {@code vbank.jobs.events}: a job event for clients plus the lease it was produced under, so the
 * scheduler can drop events from an attempt whose lease it already took back. {@code event.id()} makes consumption idempotent.
 */
public record WorkerEvent(String jobId, int attempt, String leaseToken, String workerId, Kind kind, JobEvent event) {

    public enum Kind {
        /** keeps the lease alive; carries the current step in event data. */
        HEARTBEAT,
        PROGRESS,
        CHECKPOINT_UPLOADED,
        SUCCEEDED,
        FAILED,
        CANCELLED
    }
}
