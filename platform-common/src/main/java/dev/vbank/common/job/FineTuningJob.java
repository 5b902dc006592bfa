package dev.vbank.common.job;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/** The job object clients see, shaped like hosted fine-tuning APIs. Times are Unix seconds. */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record FineTuningJob(
        String id,
        String object,
        long createdAt,
        Long startedAt,
        Long finishedAt,
        JobStatus status,
        String model,
        String trainingFile,
        String validationFile,
        Method method,
        String suffix,
        long seed,
        Map<String, String> metadata,
        JobError error,
        String adapterId,
        long trainedSteps,
        Long estimatedFinish,
        String evaluationId) {

    public static final String OBJECT = "fine_tuning.job";

    public FineTuningJob {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A job without an evaluation (evaluation_id null; requested with the job, it is set once the job succeeded). */
    public FineTuningJob(String id, String object, long createdAt, Long startedAt, Long finishedAt, JobStatus status,
                         String model, String trainingFile, String validationFile, Method method, String suffix, long seed,
                         Map<String, String> metadata, JobError error, String adapterId, long trainedSteps,
                         Long estimatedFinish) {
        this(id, object, createdAt, startedAt, finishedAt, status, model, trainingFile, validationFile, method, suffix, seed,
                metadata, error, adapterId, trainedSteps, estimatedFinish, null);
    }
}
