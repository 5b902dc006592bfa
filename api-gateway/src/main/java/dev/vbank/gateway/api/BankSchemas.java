package dev.vbank.gateway.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The shapes of the vector bank JSON the gateway relays from the artifact-service, for the OpenAPI document only. */
final class BankSchemas {
    private BankSchemas() {
    }

    @Schema(name = "CreateVectorBankRequest", description = "Publish the vector bank of a trained VB-LoRA adapter")
    record CreateVectorBankRequest(
            @Schema(required = true, description = "the VB-LoRA adapter (adapter-…) whose bank to publish") String fromAdapter,
            @Schema(maxLength = 128, description = "a name to know it by") String name) {
    }

    @Schema(name = "VectorBank", description = "A published, immutable VB-LoRA vector bank (h × b), content-addressed by "
            + "sha256; jobs name it in method.hyperparameters.vector_bank to train per-user adapters against it frozen")
    record VectorBank(@Schema(required = true) String id,
                      @Schema(required = true, enumeration = "vector_bank") String object,
                      String name,
                      @Schema(required = true, enumeration = {"tenant", "platform"},
                              description = "tenant: yours; platform: seeded for every tenant, read-only") String scope,
                      @Schema(required = true) String baseModel,
                      @Schema(required = true, description = "h, vectors in the bank") int numVectors,
                      @Schema(required = true, description = "b, length of each vector") int vectorLength,
                      @Schema(required = true, description = "sha256 of the bank file") String sha256,
                      @Schema(required = true) long bytes,
                      @Schema(description = "the adapter it was published from") String sourceAdapter,
                      @Schema(required = true) long createdAt,
                      @Schema(description = "how many of your adapters reference it") long adapters) {
    }

    @Schema(name = "VectorBankUsage", description = "The asking tenant's adapters that reference a bank and the "
            + "selections of each bank vector summed over them")
    record VectorBankUsage(@Schema(required = true, enumeration = "vector_bank.usage") String object,
                           @Schema(required = true) String vectorBank, @Schema(required = true) int numVectors,
                           @Schema(required = true) int adapterCount,
                           @Schema(description = "adapter ids, newest first (at most 1,000)") List<String> adapters,
                           @Schema(description = "sub-vectors of those adapters") long subVectors,
                           @Schema(description = "per bank vector: how often it is selected") List<Long> usage) {
    }

    @Schema(name = "VectorBankList")
    record VectorBankList(@Schema(required = true) String object, @Schema(required = true) List<VectorBank> data,
                          @Schema(required = true) boolean hasMore) {
    }

    @Schema(name = "VectorBankDeleted")
    record VectorBankDeleted(@Schema(required = true) String id, @Schema(required = true) String object,
                             @Schema(required = true) boolean deleted) {
    }

    @Schema(name = "SeedVectorBankRequest", description = "Publish a platform-wide bank (visible to every tenant, "
            + "read-only for them) from an adapter of a tenant")
    record SeedVectorBankRequest(@Schema(required = true, description = "the tenant that owns the adapter") String tenant,
                                 @Schema(required = true) String fromAdapter, @Schema(maxLength = 128) String name) {
    }
}
