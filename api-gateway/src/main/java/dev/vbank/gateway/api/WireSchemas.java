package dev.vbank.gateway.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * The shapes of the JSON the gateway relays from the services, for the OpenAPI document only: the gateway passes those
 * bodies through untouched, so nothing here is (de)serialized. Names are written in camelCase and documented in
 * snake_case, as they travel.
 */
final class WireSchemas {
    private WireSchemas() {
    }

    @Schema(name = "File", description = "An uploaded dataset; a job may use it only while status is processed")
    record FileObject(@Schema(required = true) String id, @Schema(required = true, enumeration = "file") String object,
                      @Schema(required = true) long bytes, @Schema(required = true) long createdAt,
                      @Schema(required = true) String filename, @Schema(required = true) String purpose,
                      @Schema(required = true) String sha256,
                      @Schema(required = true, enumeration = {"processed", "error"}) String status,
                      @Schema(description = "why the file failed validation, with line numbers") String statusDetails,
                      long rows, List<String> labels) {
    }

    @Schema(name = "FileList")
    record FileList(@Schema(required = true) String object, @Schema(required = true) List<FileObject> data,
                    @Schema(required = true) boolean hasMore) {
    }

    @Schema(name = "FileDeleted")
    record FileDeleted(@Schema(required = true) String id, @Schema(required = true) String object,
                       @Schema(required = true) boolean deleted) {
    }

    @Schema(name = "AdapterParameters")
    record AdapterParameters(@Schema(description = "values training updated (bank + logits + head, LoRA A + B + head)")
                             long trainable,
                             @Schema(description = "PEFT's savable count with save_only_topk_weights (head excluded)")
                             long peftSavable,
                             @Schema(description = "bytes of the stored compact file") long compactBytes) {
    }

    @Schema(name = "Adapter", description = "A trained or imported adapter")
    record Adapter(@Schema(required = true) String id, @Schema(required = true, enumeration = "adapter") String object,
                   @Schema(description = "the job that trained it; null for an imported adapter") String jobId,
                   @Schema(required = true) String baseModel, String trainingFile,
                   @Schema(required = true, enumeration = {"vblora", "lora", "head_only"}) String method,
                   @Schema(required = true) String format, @Schema(required = true) long bytes,
                   @Schema(required = true) String sha256, @Schema(required = true) long createdAt,
                   @Schema(description = "the method's configuration (hyperparameters)") Map<String, Object> config,
                   AdapterParameters parameters,
                   @Schema(enumeration = {"trained", "imported"}) String source,
                   @Schema(description = "the published vector bank (vbank-…) a VB-LoRA adapter was trained against and "
                           + "references instead of holding; null otherwise") String vectorBank) {
    }

    @Schema(name = "BankUsageModule")
    record BankUsageModule(String path, int in, int out, int r, long offset, int subVectorsA, int subVectorsB) {
    }

    @Schema(name = "BankUsage", description = "How a VB-LoRA adapter uses its vector bank (has_bank false otherwise)")
    record BankUsage(@Schema(required = true) String object, @Schema(required = true) String adapterId,
                     @Schema(required = true) String method, @Schema(required = true) boolean hasBank,
                     long storedBytes, long loraEquivalentBytes, long headBytes, Integer numVectors,
                     Integer vectorLength, Integer r, Integer topk, long subVectors, int subVectorsSent,
                     boolean truncated, List<BankUsageModule> modules,
                     @Schema(description = "top-k bank indices, k per sub-vector") List<Integer> indices,
                     @Schema(description = "top-k weights, k per sub-vector") List<Double> weights,
                     @Schema(description = "selections per bank vector") List<Long> usage) {
    }

    @Schema(name = "Checkpoint")
    record Checkpoint(@Schema(required = true) String id, @Schema(required = true) String object,
                      @Schema(required = true) long createdAt, @Schema(required = true) String fineTuningJobId,
                      @Schema(required = true) long stepNumber, String objectKey, long bytes, String sha256) {
    }

    @Schema(name = "CheckpointList")
    record CheckpointList(@Schema(required = true) String object, @Schema(required = true) List<Checkpoint> data,
                          @Schema(required = true) boolean hasMore) {
    }

    @Schema(name = "Model", description = "A base model jobs can fine-tune")
    record Model(@Schema(required = true) String id, @Schema(required = true) String object, long created,
                 String ownedBy, String architecture, int layers, int hiddenSize, int heads, int intermediateSize,
                 int maxPositions, String pooling, String licence, String modelCard, String textPrefix,
                 String weightsSha256, String status, String statusDetails, String objectKey, Long bytes,
                 String sha256) {
    }

    @Schema(name = "ModelList")
    record ModelList(@Schema(required = true) String object, @Schema(required = true) List<Model> data,
                     @Schema(required = true) boolean hasMore) {
    }
}
