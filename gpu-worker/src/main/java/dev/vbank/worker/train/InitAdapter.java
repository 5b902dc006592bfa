package dev.vbank.worker.train;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.FormatException;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.artifacts.ArtifactClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The stored adapter a job continues from ({@code method.hyperparameters.init_adapter}), as the state the training
 * method starts with. The scheduler checked method, base model and shapes at create; they are checked again against the
 * spec the worker built, so a mismatch fails the job with {@code invalid_init_adapter} instead of a broken first step.
 */
final class InitAdapter {
    static final String HYPERPARAMETER = "init_adapter";
    static final String PARAM = SpecMapper.PARAM + HYPERPARAMETER;

    private InitAdapter() {
    }

    /** The adapter's state, or null when the job names none. */
    static Map<String, Tensor> state(DispatchJob job, TrainingSpec spec, ArtifactClient artifacts, Path work,
                                     long maxBytes) throws IOException {
        Object id = job.method().hyperparameters().get(HYPERPARAMETER);
        if (id == null) {
            return null;
        }
        Path file = work.resolve("init-adapter.vbnk");
        ArtifactClient.Download d;
        try {
            d = artifacts.adapterContent(job.tenantId(), id.toString(), file, maxBytes);
        } catch (JobFailure e) {
            throw new JobFailure("invalid_init_adapter", "adapter " + id + ": " + e.getMessage(), PARAM, e);
        }
        AdapterWeights a;
        try {
            a = CompactFormat.read(Files.readAllBytes(d.file()));
        } catch (FormatException e) {
            throw new JobFailure("invalid_init_adapter", "adapter " + id + " is not readable: " + e.getMessage(), PARAM, e);
        }
        String why = mismatch(a, spec);
        if (why != null) {
            throw new JobFailure("invalid_init_adapter", "adapter " + id + " " + why, PARAM);
        }
        return AdapterStates.toState(a);
    }

    static String mismatch(AdapterWeights a, TrainingSpec spec) {
        if (!a.kind().id().equals(spec.method().id())) {
            return "is a " + a.kind().id() + " adapter, the job trains " + spec.method().id();
        }
        if (!a.baseModelId().equals(spec.baseModelId())) {
            return "was made for " + a.baseModelId() + ", the job trains " + spec.baseModelId();
        }
        if (a.kind() == AdapterKind.VBLORA) {
            if (!a.trainable()) {
                return "keeps top-k weights only (save_only_topk_weights); there are no logits to train";
            }
            var have = a.vbloraConfig();
            var want = spec.vblora();
            if (have.numVectors() != want.numVectors() || have.vectorLength() != want.vectorLength() || have.r() != want.r()
                    || have.topk() != want.topk() || !have.targetModules().equals(want.targetModules())
                    || !Objects.equals(have.layersToTransform(), want.layersToTransform())) {
                return "has num_vectors " + have.numVectors() + ", vector_length " + have.vectorLength() + ", r "
                        + have.r() + ", topk " + have.topk() + ", target_modules " + have.targetModules()
                        + ", layers_to_transform " + have.layersToTransform() + "; the job asks for " + want.numVectors()
                        + ", " + want.vectorLength() + ", " + want.r() + ", " + want.topk() + ", " + want.targetModules()
                        + ", " + want.layersToTransform();
            }
        }
        if (a.kind() == AdapterKind.LORA) {
            var have = a.loraConfig();
            var want = spec.lora();
            if (have.r() != want.r() || !have.targetModules().equals(want.targetModules())
                    || !Objects.equals(have.layersToTransform(), want.layersToTransform())) {
                return "has r " + have.r() + ", target_modules " + have.targetModules() + ", layers_to_transform "
                        + have.layersToTransform() + "; the job asks for " + want.r() + ", " + want.targetModules() + ", "
                        + want.layersToTransform();
            }
        }
        return null;
    }
}
