package dev.vbank.common.command;

import dev.vbank.common.eval.EvaluationWork;
import dev.vbank.common.job.Method;

/**
 * What the scheduler publishes on {@code vbank.jobs.dispatch} (keyed by job id) for a worker to run one attempt of a job.
 * {@code resumeCheckpoint} is the object key of the last uploaded checkpoint, or null to start fresh. {@code evaluation} is
 * null for a fine-tuning job and set for an evaluation item (see {@link EvaluationWork}).
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
        String resumeCheckpoint,
        EvaluationWork evaluation) {

    /** A fine-tuning attempt. */
    public DispatchJob(String jobId, String tenantId, int attempt, String leaseToken, long leaseSeconds, String model,
                       String trainingFile, String validationFile, Method method, long seed, String resumeCheckpoint) {
        this(jobId, tenantId, attempt, leaseToken, leaseSeconds, model, trainingFile, validationFile, method, seed,
                resumeCheckpoint, null);
    }
}
