package dev.vbank.worker.train;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.FormatException;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.artifacts.ArtifactClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Published vector banks on the worker: the bank a job trains against ({@code method.hyperparameters.vector_bank},
 * checked by the scheduler at create) and the banks that bank-referencing adapters name when they are scored. Each is
 * downloaded from the artifact-service, its bytes checked against the sha256 the service announces (and, for an
 * adapter, the sha256 the adapter recorded), and its shape against the job's.
 */
public final class SharedBanks {
    public static final String HYPERPARAMETER = "vector_bank";
    static final String PARAM = SpecMapper.PARAM + HYPERPARAMETER;

    private SharedBanks() {
    }

    /** The job's spec with its shared bank loaded (frozen), or the spec as it was when the job names none. */
    public static TrainingSpec withSharedBank(DispatchJob job, TrainingSpec spec, ArtifactClient artifacts, Path work,
                                              long maxBytes) throws IOException {
        Object id = job.method() == null ? null : job.method().hyperparameters().get(HYPERPARAMETER);
        if (id == null) {
            return spec;
        }
        Path file = work.resolve("vector-bank.safetensors");
        ArtifactClient.Download d;
        try {
            d = artifacts.vectorBankContent(job.tenantId(), id.toString(), file, maxBytes);
        } catch (JobFailure e) {
            throw new JobFailure("invalid_vector_bank", "vector bank " + id + ": " + e.getMessage(), PARAM, e);
        }
        SharedBank bank;
        try {
            bank = SharedBank.of(new BankRef(id.toString(), d.sha256().toLowerCase(java.util.Locale.ROOT)),
                    Files.readAllBytes(d.file()));
        } catch (FormatException | IllegalArgumentException e) {
            throw new JobFailure("invalid_vector_bank", "vector bank " + id + " is not readable: " + e.getMessage(),
                    PARAM, e);
        } finally {
            Files.deleteIfExists(file);
        }
        if (spec.vblora() == null || bank.numVectors() != spec.vblora().numVectors()
                || bank.vectorLength() != spec.vblora().vectorLength()) {
            throw new JobFailure("invalid_vector_bank", "vector bank " + id + " is (" + bank.numVectors() + ", "
                    + bank.vectorLength() + "); the job asks for num_vectors " + (spec.vblora() == null ? "-"
                    : spec.vblora().numVectors() + " and vector_length " + spec.vblora().vectorLength()), PARAM);
        }
        return spec.toBuilder().sharedBank(bank).build();
    }

    /** Bank files for reading bank-referencing adapters of {@code tenant}, each downloaded once per source. */
    public static CompactFormat.BankSource source(ArtifactClient artifacts, String tenant, Path work, long maxBytes) {
        Map<String, byte[]> fetched = new HashMap<>();
        return (BankRef ref) -> fetched.computeIfAbsent(ref.id() + "@" + ref.sha256(), k -> {
            Path file = work.resolve("bank-" + ref.sha256() + ".safetensors");
            try {
                ArtifactClient.Download d = artifacts.vectorBankContent(tenant, ref.id(), file, maxBytes);
                try {
                    return Files.readAllBytes(d.file());
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (JobFailure e) {
                throw new JobFailure("invalid_vector_bank", "vector bank " + ref.id() + " of the adapter: "
                        + e.getMessage(), "evaluation.adapter_id", e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
