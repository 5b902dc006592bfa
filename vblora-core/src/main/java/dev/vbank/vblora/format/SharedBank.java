package dev.vbank.vblora.format;

import java.util.Objects;

/** A frozen bank (h, b) with the reference it was published under; training against it updates only logits and head. */
public record SharedBank(BankRef ref, Tensor bank) {
    public SharedBank {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(bank, "bank");
        if (bank.rank() != 2) {
            throw new IllegalArgumentException("vector bank must be (h, b), got " + bank.shapeString());
        }
    }

    public int numVectors() {
        return (int) bank.dim(0);
    }

    public int vectorLength() {
        return (int) bank.dim(1);
    }

    /** The bank of its file after checking that the file's sha256 is the reference's. */
    public static SharedBank of(BankRef ref, byte[] bankFile) {
        String got = VectorBankFile.sha256(bankFile);
        if (!got.equals(ref.sha256())) {
            throw new FormatException("vector bank " + ref.id() + ": content sha256 " + got + " != referenced "
                    + ref.sha256());
        }
        return new SharedBank(ref, VectorBankFile.read(bankFile));
    }
}
