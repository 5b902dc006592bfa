package dev.vbank.common.command;

/** Published on {@code vbank.jobs.control}: the worker holding this job's lease stops it at the next step. */
public record CancelJob(String jobId, int attempt, String reason) {
}
