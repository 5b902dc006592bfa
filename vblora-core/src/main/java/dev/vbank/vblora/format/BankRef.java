package dev.vbank.vblora.format;

/**
 * A reference to a published, frozen vector bank: its id ({@code vbank-…}) and the sha256 of its bank file
 * ({@link VectorBankFile}), which names its content. A bank-referencing adapter stores this instead of the bank.
 */
public record BankRef(String id, String sha256) {
    public BankRef {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("vector bank id is required");
        }
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("vector bank sha256 must be 64 lower-case hex digits");
        }
    }
}
