package dev.vbank.common.job;

/**
 * Headers of the internal create calls (fine-tuning jobs and evaluations) that carry the tenant's job limits from the
 * api-gateway, which owns the limits, to the job-scheduler, which counts and enforces them in its create transaction.
 */
public final class JobLimitHeaders {

    public static final String MAX_QUEUED_JOBS = "X-Vbank-Max-Queued-Jobs";
    public static final String MAX_RUNNING_JOBS = "X-Vbank-Max-Running-Jobs";

    private JobLimitHeaders() {
    }
}
