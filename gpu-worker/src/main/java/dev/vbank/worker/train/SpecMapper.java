package dev.vbank.worker.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.MethodType;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.ConfigException;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.worker.JobFailure;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a dispatched job's model, method and hyperparameters into the engine's {@link TrainingSpec}. The names are the
 * public API's (the scheduler validates them too); everything is checked again here against the engine and the base
 * model, so a bad job fails with {@code invalid_hyperparameters} and the offending parameter, never with a crash in the
 * training loop. Unset VB-LoRA values take vblora-text's defaults for the 384-wide encoders
 * ({@link TrainingSpec#defaultVblora}), unset LoRA values LoRA's.
 * <p>
 * Besides the API's names the worker reads {@code checkpoint_every} (optimizer steps between checkpoints). Validation runs
 * every {@code eval_every} optimizer steps, or, when the job leaves it unset, at five evenly spaced steps (the last one
 * included), so that clients see a validation curve.
 */
public final class SpecMapper {

    static final String PARAM = "method.hyperparameters.";

    private static final Set<String> COMMON = Set.of("n_epochs", "batch_size", "max_seq_length", "warmup_ratio",
            "lr_head", "weight_decay_head", "checkpoint_every", "eval_every");
    private static final Set<String> VBLORA = Set.of("num_vectors", "vector_length", "r", "topk", "target_modules",
            "layers_to_transform", "dropout", "init_vector_bank_bound", "init_logits_std", "lr_vector_bank",
            "lr_logits", "save_only_topk_weights");
    private static final Set<String> LORA = Set.of("r", "lora_alpha", "lora_dropout", "target_modules",
            "layers_to_transform", "lr_lora");

    private SpecMapper() {
    }

    public static BaseModel model(DispatchJob job) {
        return BaseModels.find(job.model()).orElseThrow(() -> new JobFailure("invalid_model", "unknown model '"
                + job.model() + "'; this worker trains " + BaseModels.all().stream().map(BaseModel::id).toList(),
                "model"));
    }

    /** Optimizer steps between checkpoints the job asks for, else {@code fallback}. */
    public static int checkpointEvery(DispatchJob job, int fallback) {
        Object v = job.method().hyperparameters().get("checkpoint_every");
        return v == null ? fallback : (int) integer("checkpoint_every", v, 0, Integer.MAX_VALUE);
    }

    /** The job's spec with the default validation interval when it set none: about five validations per run. */
    public static TrainingSpec withDefaultEvalEvery(DispatchJob job, TrainingSpec spec, int trainRows) {
        if (job.method().hyperparameters().containsKey("eval_every")) {
            return spec;
        }
        int microPerEpoch = (trainRows + spec.batchSize() - 1) / spec.batchSize();
        long total = dev.vbank.text.train.FineTuner.totalSteps(spec, microPerEpoch);
        return spec.toBuilder().evalEvery((int) Math.max(1, (total + 4) / 5)).build();
    }

    public static TrainingSpec spec(DispatchJob job, TaskType task, int checkpointEvery) {
        if (job.method() == null || job.method().type() == null) {
            throw new JobFailure("invalid_hyperparameters", "the job has no method type", "method.type");
        }
        BaseModel bm = model(job);
        MethodType type = job.method().type();
        Map<String, Object> hp = job.method().hyperparameters();
        Set<String> specific = type == MethodType.VBLORA ? VBLORA : type == MethodType.LORA ? LORA : Set.of();
        for (String k : hp.keySet()) {
            if (!COMMON.contains(k) && !specific.contains(k)) {
                throw new JobFailure("invalid_hyperparameters", "unknown hyperparameter '" + k + "' for method "
                        + type.wireName(), PARAM + k);
            }
        }
        TrainingSpec.Builder b = TrainingSpec.builder(bm.id()).task(task).seed(job.seed())
                .checkpointEvery(checkpointEvery);
        if (hp.containsKey("n_epochs")) {
            b.epochs((int) integer("n_epochs", hp.get("n_epochs"), 1, 100));
        }
        if (hp.containsKey("batch_size")) {
            b.batchSize((int) integer("batch_size", hp.get("batch_size"), 1, 512));
        }
        if (hp.containsKey("max_seq_length")) {
            b.maxSeqLength((int) integer("max_seq_length", hp.get("max_seq_length"), 8, bm.maxPositions()));
        }
        if (hp.containsKey("eval_every")) {
            b.evalEvery((int) integer("eval_every", hp.get("eval_every"), 1, Integer.MAX_VALUE));
        }
        if (hp.containsKey("warmup_ratio")) {
            double w = number("warmup_ratio", hp.get("warmup_ratio"));
            if (w < 0 || w >= 1) {
                throw invalid("warmup_ratio", "must be in [0, 1), was " + w);
            }
            b.warmupRatio(w);
        }
        try {
            switch (type) {
                case VBLORA -> {
                    VbloraConfig c = ConfigJson.vbloraFromTree(overlay(
                            ConfigJson.toTree(TrainingSpec.defaultVblora("qv")), hp, VBLORA));
                    c.validateAgainst(modules(bm));
                    b.method(Method.VBLORA).vblora(c);
                }
                case LORA -> {
                    LoraConfig c = ConfigJson.loraFromTree(overlay(ConfigJson.toTree(LoraConfig.defaults()), hp, LORA));
                    if (c.layersToTransform() != null) {
                        for (int layer : c.layersToTransform()) {
                            if (layer >= bm.layers()) {
                                throw new ConfigException("layers_to_transform", "layer " + layer + " does not exist ("
                                        + bm.id() + " has " + bm.layers() + " layers)");
                            }
                        }
                    }
                    b.method(Method.LORA).lora(c);
                }
                case HEAD_ONLY -> {
                    b.method(Method.HEAD_ONLY);
                    if (hp.containsKey("lr_head")) {
                        b.headLr(positive("lr_head", hp.get("lr_head")));
                    }
                    if (hp.containsKey("weight_decay_head")) {
                        b.headWeightDecay(number("weight_decay_head", hp.get("weight_decay_head")));
                    }
                }
            }
            return b.build();
        } catch (ConfigException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage(), PARAM + e.field(), e);
        } catch (IllegalArgumentException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage(), PARAM.substring(0, PARAM.length() - 1), e);
        }
    }

    /**
     * The head-only baseline of an evaluation item: the dispatch carries the adapter job's hyperparameters; those that
     * shape the data and the head (epochs, batch size, sequence length, warm-up, head learning rate and weight decay)
     * are kept, the adapter's own are dropped, and nothing is checkpointed.
     */
    public static TrainingSpec baselineSpec(DispatchJob job, TaskType task) {
        Map<String, Object> hp = new HashMap<>();
        if (job.method() != null) {
            job.method().hyperparameters().forEach((k, v) -> {
                if (COMMON.contains(k) && !k.equals("checkpoint_every")) {
                    hp.put(k, v);
                }
            });
        }
        DispatchJob headOnly = new DispatchJob(job.jobId(), job.tenantId(), job.attempt(), job.leaseToken(),
                job.leaseSeconds(), job.model(), job.trainingFile(), job.validationFile(),
                new dev.vbank.common.job.Method(MethodType.HEAD_ONLY, hp), job.seed(), null, job.evaluation());
        return spec(headOnly, task, 0);
    }

    private static List<ModuleShape> modules(BaseModel bm) {
        return FineTuner.shapeOf(bm).linearModules();
    }

    /** The engine config's JSON with the job's values for {@code keys} (plus lr_head / weight_decay_head) put over it. */
    private static JsonNode overlay(JsonNode defaults, Map<String, Object> hp, Set<String> keys) {
        ObjectNode node = ((ObjectNode) defaults).deepCopy();
        Map<String, Object> picked = new HashMap<>();
        hp.forEach((k, v) -> {
            if (keys.contains(k) || k.equals("lr_head") || k.equals("weight_decay_head")) {
                picked.put(k, v);
            }
        });
        node.setAll((ObjectNode) ConfigJson.mapper().valueToTree(picked));
        return node;
    }

    private static long integer(String name, Object v, long min, long max) {
        if (!(v instanceof Integer || v instanceof Long || v instanceof Short)) {
            throw invalid(name, "must be an integer, was " + v);
        }
        long x = ((Number) v).longValue();
        if (x < min || x > max) {
            throw invalid(name, "must be from " + min + " to " + max + ", was " + x);
        }
        return x;
    }

    private static double number(String name, Object v) {
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
            throw invalid(name, "must be a finite number >= 0, was " + v);
        }
        return n.doubleValue();
    }

    private static double positive(String name, Object v) {
        double x = number(name, v);
        if (!(x > 0)) {
            throw invalid(name, "must be > 0, was " + v);
        }
        return x;
    }

    private static JobFailure invalid(String name, String message) {
        return new JobFailure("invalid_hyperparameters", name + ": " + message, PARAM + name);
    }
}
