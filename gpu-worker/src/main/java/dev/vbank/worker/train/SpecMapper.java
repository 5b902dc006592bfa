package dev.vbank.worker.train;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.common.spec.BaseModelShape;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.vblora.precision.Precision;
import dev.vbank.common.spec.InvalidSpecException;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.ConfigException;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.worker.JobFailure;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns a dispatched job's model, method and hyperparameters into the engine's {@link TrainingSpec}: the one place where
 * the platform's method and hyperparameter names meet the engine's types. The values are resolved against
 * platform-common's job spec ({@link Hyperparameters}: validated, defaults filled in, as the scheduler did when the job
 * was created) and every one is handed to the engine explicitly, so the engine's own defaults (its library's) never
 * decide a job. The engine checks the result against the model once more; a bad job fails with
 * {@code invalid_hyperparameters} and the offending parameter, never with a crash in the training loop.
 * <p>
 * {@code checkpoint_every} and {@code eval_every} have no fixed default: unset, checkpoints follow the worker's setting
 * and validation runs at five evenly spaced steps (the last one included), so that clients see a validation curve.
 */
public final class SpecMapper {

    static final String PARAM = Hyperparameters.PARAM + ".";

    private SpecMapper() {
    }

    public static BaseModel model(DispatchJob job) {
        return BaseModels.find(job.model()).orElseThrow(() -> new JobFailure("invalid_model", "unknown model '"
                + job.model() + "'; this worker trains " + BaseModels.all().stream().map(BaseModel::id).toList(),
                "model"));
    }

    /** Every hyperparameter the job trains with, validated against its model and with the spec's defaults filled in. */
    public static Map<String, Object> hyperparameters(DispatchJob job) {
        if (job.method() == null || job.method().type() == null) {
            throw new JobFailure("invalid_hyperparameters", "the job has no method type", "method.type");
        }
        BaseModelShape shape = BaseModelShapes.find(model(job).id()).orElseThrow(() -> new JobFailure("invalid_model",
                "the platform has no shape for model '" + job.model() + "'", "model"));
        try {
            return Hyperparameters.resolve(job.method().type(),
                    Json.mapper().valueToTree(job.method().hyperparameters()), shape);
        } catch (InvalidSpecException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage(), e.param(), e);
        }
    }

    /** Optimizer steps between checkpoints the job asks for, else {@code fallback}. */
    public static int checkpointEvery(DispatchJob job, int fallback) {
        Object v = hyperparameters(job).get("checkpoint_every");
        return v == null ? fallback : ((Number) v).intValue();
    }

    /** The job's spec with the default validation interval when it set none: about five validations per run. */
    public static TrainingSpec withDefaultEvalEvery(DispatchJob job, TrainingSpec spec, int trainRows) {
        if (job.method() != null && job.method().hyperparameters().containsKey("eval_every")) {
            return spec;
        }
        int microPerEpoch = (trainRows + spec.batchSize() - 1) / spec.batchSize();
        long total = FineTuner.totalSteps(spec, microPerEpoch);
        return spec.toBuilder().evalEvery((int) Math.max(1, (total + 4) / 5)).build();
    }

    public static TrainingSpec spec(DispatchJob job, TaskType task, int checkpointEvery) {
        Map<String, Object> hp = hyperparameters(job);
        BaseModel bm = model(job);
        TrainingSpec.Builder b = TrainingSpec.builder(bm.id()).task(task).seed(job.seed())
                .checkpointEvery(checkpointEvery)
                .method(engineMethod(job.method().type()))
                .epochs(integer(hp, "n_epochs"))
                .batchSize(integer(hp, "batch_size"))
                .maxSeqLength(integer(hp, "max_seq_length"))
                .warmupRatio(number(hp, "warmup_ratio"))
                .headLr(number(hp, "lr_head"))
                .headWeightDecay(number(hp, "weight_decay_head"))
                .precision(Precision.fromWireName((String) hp.get("precision")));
        if (hp.containsKey("eval_every")) {
            b.evalEvery(integer(hp, "eval_every"));
        }
        try {
            switch (job.method().type()) {
                case VBLORA -> {
                    VbloraConfig c = VbloraConfig.builder()
                            .numVectors(integer(hp, "num_vectors"))
                            .vectorLength(integer(hp, "vector_length"))
                            .r(integer(hp, "r"))
                            .topk(integer(hp, "topk"))
                            .targetModules((String) hp.get("target_modules"))
                            .layersToTransform(layers(hp))
                            .dropout(number(hp, "dropout"))
                            .initVectorBankBound(number(hp, "init_vector_bank_bound"))
                            .initLogitsStd(number(hp, "init_logits_std"))
                            .lrVectorBank(number(hp, "lr_vector_bank"))
                            .lrLogits(number(hp, "lr_logits"))
                            .lrHead(number(hp, "lr_head"))
                            .weightDecayHead(number(hp, "weight_decay_head"))
                            .saveOnlyTopkWeights((Boolean) hp.get("save_only_topk_weights"))
                            .build();
                    c.validateAgainst(FineTuner.shapeOf(bm).linearModules());
                    b.vblora(c);
                }
                case LORA -> b.lora(new LoraConfig(integer(hp, "r"), number(hp, "lora_alpha"),
                        number(hp, "lora_dropout"), TargetModules.parse((String) hp.get("target_modules")), layers(hp),
                        number(hp, "lr_lora"), number(hp, "lr_head"), number(hp, "weight_decay_head")));
                case HEAD_ONLY -> {
                }
            }
            return b.build();
        } catch (ConfigException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage(), PARAM + e.field(), e);
        } catch (IllegalArgumentException e) {
            throw new JobFailure("invalid_hyperparameters", e.getMessage(), Hyperparameters.PARAM, e);
        }
    }

    /** The engine's name for a platform method; the only place the two meet. */
    public static Method engineMethod(MethodType type) {
        return switch (type) {
            case VBLORA -> Method.VBLORA;
            case LORA -> Method.LORA;
            case HEAD_ONLY -> Method.HEAD_ONLY;
        };
    }

    /**
     * The head-only baseline of an evaluation item: the dispatch carries the adapter job's hyperparameters; those every
     * method shares (they shape the data and the head) are kept, the adapter's own are dropped, and nothing is
     * checkpointed.
     */
    public static TrainingSpec baselineSpec(DispatchJob job, TaskType task) {
        List<String> shared = Hyperparameters.of(MethodType.HEAD_ONLY).stream().map(Hyperparameter::name)
                .filter(name -> !name.equals("checkpoint_every") && !name.equals(InitAdapter.HYPERPARAMETER)).toList();
        Map<String, Object> hp = job.method() == null ? Map.of() : job.method().hyperparameters().entrySet().stream()
                .filter(e -> shared.contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        DispatchJob headOnly = new DispatchJob(job.jobId(), job.tenantId(), job.attempt(), job.leaseToken(),
                job.leaseSeconds(), job.model(), job.trainingFile(), job.validationFile(),
                new dev.vbank.common.job.Method(MethodType.HEAD_ONLY, hp), job.seed(), null, job.evaluation());
        return spec(headOnly, task, 0);
    }

    private static int integer(Map<String, Object> hp, String name) {
        return ((Number) hp.get(name)).intValue();
    }

    private static double number(Map<String, Object> hp, String name) {
        return ((Number) hp.get(name)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> layers(Map<String, Object> hp) {
        return (List<Integer>) hp.get("layers_to_transform");
    }
}
