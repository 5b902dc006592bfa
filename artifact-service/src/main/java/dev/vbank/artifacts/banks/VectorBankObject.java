package dev.vbank.artifacts.banks;

/**
 * The contract's vector bank object (snake_case on the wire). {@code scope}: {@code tenant} (the tenant's own bank) or
 * {@code platform} (seeded for every tenant, read-only); {@code adapters}: how many of the asking tenant's adapters
 * reference it.
 */
public record VectorBankObject(String id, String object, String name, String scope, String baseModel, int numVectors,
                               int vectorLength, String sha256, long bytes, String sourceAdapter, long createdAt,
                               long adapters) {
}
