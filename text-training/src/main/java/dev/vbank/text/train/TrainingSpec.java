package dev.vbank.text.train;

import dev.vbank.text.data.TaskType;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.method.AdapterMethod;
import dev.vbank.vblora.method.HeadOnlyMethod;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.precision.Precision;

/**
 * Everything that decides a fine-tuning run. The learning rates of the bank, logits, LoRA factors and head come from
 * the engine configs ({@code vblora.lrHead()} / {@code lora.lrHead()}); {@code headLr}/{@code headWeightDecay} are used
 * by head_only only.
 *
 * @param epochs      passes over the training set; ignored when {@code maxSteps} &gt; 0
 * @param maxSteps    optimizer steps (each {@code gradientAccumulation} micro-batches); 0 = use epochs
 * @param evalEvery   evaluate on the validation set every N optimizer steps (0: only at the end)
 * @param checkpointEvery write a resumable checkpoint every N optimizer steps (0: none besides cancellation)
 * @param precision   what the frozen base's linear layers compute in while training (the adapter stays fp32)
 * @param sharedBank  VB-LoRA only: a published bank to train against, frozen (only logits and head train; the adapter
 *                    references the bank instead of holding it); null for a private, trained bank
 */
public record TrainingSpec(
        String baseModelId,
        Method method,
        VbloraConfig vblora,
        LoraConfig lora,
        double headLr,
        double headWeightDecay,
        TaskType task,
        int epochs,
        int maxSteps,
        int batchSize,
        int maxSeqLength,
        int gradientAccumulation,
        double warmupRatio,
        LrSchedule.Kind schedule,
        int evalEvery,
        int checkpointEvery,
        long seed,
        double maxGradNorm,
        SharedBank sharedBank,
        Precision precision) {

    public TrainingSpec {
        if (baseModelId == null || baseModelId.isBlank()) {
            throw new IllegalArgumentException("base_model: required");
        }
        if (method == null || task == null || schedule == null) {
            throw new IllegalArgumentException("method, task and schedule are required");
        }
        if (method == Method.VBLORA && vblora == null) {
            throw new IllegalArgumentException("vblora: config required for method vblora");
        }
        if (method == Method.LORA && lora == null) {
            throw new IllegalArgumentException("lora: config required for method lora");
        }
        if (!(headLr > 0) || !(headWeightDecay >= 0)) {
            throw new IllegalArgumentException("head_lr must be > 0 and head_weight_decay >= 0");
        }
        if (maxSteps < 0 || (maxSteps == 0 && epochs < 1)) {
            throw new IllegalArgumentException("give epochs >= 1 or max_steps >= 1");
        }
        if (batchSize < 1 || gradientAccumulation < 1) {
            throw new IllegalArgumentException("batch_size and gradient_accumulation must be >= 1");
        }
        if (maxSeqLength < 2) {
            throw new IllegalArgumentException("max_seq_length: must be >= 2, was " + maxSeqLength);
        }
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warmup_ratio: must be in [0, 1], was " + warmupRatio);
        }
        if (sharedBank != null && method != Method.VBLORA) {
            throw new IllegalArgumentException("vector_bank: only method vblora trains against a shared vector bank");
        }
        if (precision == null) {
            throw new IllegalArgumentException("precision: required (fp32 or bf16)");
        }
        if (evalEvery < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("eval_every and checkpoint_every must be >= 0");
        }
    }

    /** The method object this spec trains with: the one place a method name becomes its behaviour. */
    public AdapterMethod adapterMethod() {
        return switch (method) {
            case VBLORA -> new VbloraMethod(vblora, sharedBank);
            case LORA -> new LoraMethod(lora);
            case HEAD_ONLY -> new HeadOnlyMethod(headLr, headWeightDecay);
        };
    }

    /**
     * VB-LoRA sized for the 384-wide encoders: vector length 128 divides 384 and 1536; 90 vectors, r 4, k 2 as the
     * paper's RoBERTa-base GLUE runs; bank lr 1e-3, logits lr 1e-2 (the paper's), head lr 4e-3.
     */
    public static VbloraConfig defaultVblora(String targetModules) {
        return VbloraConfig.builder().numVectors(90).vectorLength(128).r(4).topk(2).targetModules(targetModules).build();
    }

    /** Tokens per row when a spec (or an adapter's provenance) does not say. */
    public static final int DEFAULT_MAX_SEQ_LENGTH = 128;

    public static Builder builder(String baseModelId) {
        return new Builder(baseModelId);
    }

    public Builder toBuilder() {
        Builder b = new Builder(baseModelId);
        b.method = method;
        b.vblora = vblora;
        b.lora = lora;
        b.headLr = headLr;
        b.headWeightDecay = headWeightDecay;
        b.task = task;
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.batchSize = batchSize;
        b.maxSeqLength = maxSeqLength;
        b.gradientAccumulation = gradientAccumulation;
        b.warmupRatio = warmupRatio;
        b.schedule = schedule;
        b.evalEvery = evalEvery;
        b.checkpointEvery = checkpointEvery;
        b.seed = seed;
        b.maxGradNorm = maxGradNorm;
        b.sharedBank = sharedBank;
        b.precision = precision;
        return b;
    }

    public static final class Builder {
        private final String baseModelId;
        private Method method = Method.VBLORA;
        private VbloraConfig vblora = defaultVblora("qv");
        private LoraConfig lora = LoraConfig.defaults();
        private double headLr = VbloraConfig.DEFAULT_LR_HEAD;
        private double headWeightDecay = VbloraConfig.DEFAULT_WEIGHT_DECAY_HEAD;
        private TaskType task = TaskType.CLASSIFICATION;
        private int epochs = 1;
        private int maxSteps;
        private int batchSize = 16;
        private int maxSeqLength = DEFAULT_MAX_SEQ_LENGTH;
        private int gradientAccumulation = 1;
        private double warmupRatio = 0.06;
        private LrSchedule.Kind schedule = LrSchedule.Kind.LINEAR;
        private int evalEvery;
        private int checkpointEvery;
        private long seed = 42;
        private double maxGradNorm = 1.0;
        private SharedBank sharedBank;
        private Precision precision = Precision.FP32;

        private Builder(String baseModelId) {
            this.baseModelId = baseModelId;
        }

        public Builder method(Method v) { method = v; return this; }
        public Builder vblora(VbloraConfig v) { vblora = v; return this; }
        public Builder lora(LoraConfig v) { lora = v; return this; }
        public Builder headLr(double v) { headLr = v; return this; }
        public Builder headWeightDecay(double v) { headWeightDecay = v; return this; }
        public Builder task(TaskType v) { task = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder maxSeqLength(int v) { maxSeqLength = v; return this; }
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder schedule(LrSchedule.Kind v) { schedule = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder sharedBank(SharedBank v) { sharedBank = v; return this; }
        public Builder precision(Precision v) { precision = v; return this; }

        public TrainingSpec build() {
            return new TrainingSpec(baseModelId, method, vblora, lora, headLr, headWeightDecay, task, epochs, maxSteps,
                    batchSize, maxSeqLength, gradientAccumulation, warmupRatio, schedule, evalEvery, checkpointEvery,
                    seed, maxGradNorm, sharedBank, precision);
        }
    }
}
