package dev.vbank.common.command;

import dev.vbank.common.job.Method;

/**
 * What the scheduler publishes on {@code vbank.jobs.dispatch} (keyed by job id) for a worker to run one attempt of a job.
 * {@code resumeCheckpoint} is the object key of the last uploaded checkpoint, or null to start fresh.
 */
public record DispatchJob(
        String jobId,
        String tenantId,
        int attempt,
        String leaseToken,
        long leaseSeconds,
        String model,
        String trainingFile,
        String validationFile,
        Method method,
        long seed,
        String resumeCheckpoint) {
}
