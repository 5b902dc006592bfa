package dev.vbank.common.job;

/** Why a job failed; {@code param} names the offending request field when there is one. */
public record JobError(String code, String message, String param) {
}
