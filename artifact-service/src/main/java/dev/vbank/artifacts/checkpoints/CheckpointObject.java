package dev.vbank.artifacts.checkpoints;

public record CheckpointObject(String object, String jobId, long step, String objectKey, long bytes, String sha256,
                               long createdAt) {
}
