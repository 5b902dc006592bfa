package dev.vbank.scheduler.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.vbank.common.job.FineTuningJob;
import dev.vbank.common.job.JobError;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;

import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;

/** One row of scheduler.jobs. */
public record JobRow(
        String id,
        String tenantId,
        JobStatus status,
        long version,
        int attempt,
        int maxAttempts,
        String model,
        String trainingFile,
        String validationFile,
        MethodType methodType,
        Map<String, Object> hyperparameters,
        String suffix,
        long seed,
        Map<String, String> metadata,
        String errorCode,
        String errorMessage,
        String errorParam,
        String adapterId,
        long trainedSteps,
        Instant estimatedFinish,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        String leaseOwner,
        String leaseToken,
        Instant leaseExpiresAt,
        String lastCheckpointKey,
        Long lastCheckpointStep,
        String idempotencyKey,
        String requestHash,
        String kind,
        Map<String, Object> evaluationRequest,
        String evaluationId) {

    public static final String FINE_TUNE = "fine_tune";
    public static final String EVALUATION = "evaluation";

    private static final TypeReference<Map<String, Object>> OBJECT_MAP = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    public static JobRow read(ResultSet rs) throws SQLException {
        long lastStep = rs.getLong("last_checkpoint_step");
        Long lastCheckpointStep = rs.wasNull() ? null : lastStep;
        return new JobRow(
                rs.getString("id"),
                rs.getString("tenant_id"),
                JobStatus.fromWireName(rs.getString("status")),
                rs.getLong("version"),
                rs.getInt("attempt"),
                rs.getInt("max_attempts"),
                rs.getString("model"),
                rs.getString("training_file"),
                rs.getString("validation_file"),
                rs.getString("method_type") == null ? null : MethodType.fromWireName(rs.getString("method_type")),
                json(rs.getString("hyperparameters"), OBJECT_MAP),
                rs.getString("suffix"),
                rs.getLong("seed"),
                json(rs.getString("metadata"), STRING_MAP),
                rs.getString("error_code"),
                rs.getString("error_message"),
                rs.getString("error_param"),
                rs.getString("adapter_id"),
                rs.getLong("trained_steps"),
                instant(rs.getTimestamp("estimated_finish")),
                instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("started_at")),
                instant(rs.getTimestamp("finished_at")),
                rs.getString("lease_owner"),
                rs.getString("lease_token"),
                instant(rs.getTimestamp("lease_expires_at")),
                rs.getString("last_checkpoint_key"),
                lastCheckpointStep,
                rs.getString("idempotency_key"),
                rs.getString("request_hash"),
                rs.getString("kind"),
                rs.getString("evaluation_request") == null ? null : json(rs.getString("evaluation_request"), OBJECT_MAP),
                rs.getString("evaluation_id"));
    }

    public FineTuningJob toApi() {
        JobError error = errorCode == null ? null : new JobError(errorCode, errorMessage, errorParam);
        return new FineTuningJob(id, FineTuningJob.OBJECT, createdAt.getEpochSecond(), seconds(startedAt),
                seconds(finishedAt), status, model, trainingFile, validationFile, new Method(methodType, hyperparameters),
                suffix, seed, metadata, error, adapterId, trainedSteps, seconds(estimatedFinish), evaluationId);
    }

    public boolean isEvaluationItem() {
        return EVALUATION.equals(kind);
    }

    private static Long seconds(Instant t) {
        return t == null ? null : t.getEpochSecond();
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static <T> T json(String text, TypeReference<T> type) {
        try {
            return Json.mapper().readValue(text, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
