package dev.vbank.text.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.method.AdapterMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.precision.Precision;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.model.TrainableParameter;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.GroupSettings;
import dev.vbank.vblora.optim.LrSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Fine-tunes a registered base model on a dataset with VB-LoRA, LoRA or head-only training: gradient accumulation,
 * warm-up + schedule, periodic evaluation with best-state selection, resumable checkpoints, a progress callback and a
 * cancellation flag checked before every optimizer step; exports the adapter in the engine's compact format.
 * <p>
 * A plain library: one run at a time per instance, on the calling thread. Base weights are loaded once per model and
 * shared by later runs of the same instance.
 */
public final class FineTuner implements AutoCloseable {

    /**
     * Listener, cancellation flag (checked before each step), an optional checkpoint directory to resume from, a
     * wall-time checkpoint interval (a checkpoint is also written once this much time has passed since the last one, so
     * the work a crash loses is bounded in time as well as in steps; {@code null} or zero: by steps only; not part of the
     * spec, since when checkpoints are taken changes nothing a resumed run computes), and an optional adapter to start
     * from instead of a fresh one ({@code init_adapter}: its state, the method's names; a checkpoint to resume from wins),
     * and the precisions the adapter file is written with ({@code null}: {@link CompactFormat.Options#TRAINED}, or
     * {@link CompactFormat.Options#SHARED_BANK} for an adapter that references a shared bank; a shared-bank adapter
     * holds no bank, so only its weights' and head's precisions apply).
     */
    public record RunOptions(ProgressListener listener, BooleanSupplier cancelled, Path resumeFrom,
                             Duration checkpointInterval, Map<String, Tensor> initState, CompactFormat.Options storage) {
        public RunOptions(ProgressListener listener, BooleanSupplier cancelled, Path resumeFrom) {
            this(listener, cancelled, resumeFrom, null, null, null);
        }

        public static RunOptions defaults() {
            return new RunOptions(ProgressListener.NONE, () -> false, null, null, null, null);
        }

        public RunOptions withStorage(CompactFormat.Options options) {
            return new RunOptions(listener, cancelled, resumeFrom, checkpointInterval, initState, options);
        }

        CompactFormat.Options storageFor(AdapterWeights adapter) {
            if (storage != null) {
                return storage;
            }
            return adapter.bankRef() != null ? CompactFormat.Options.SHARED_BANK : CompactFormat.Options.TRAINED;
        }

        public RunOptions withListener(ProgressListener l) {
            return new RunOptions(l, cancelled, resumeFrom, checkpointInterval, initState, storage);
        }

        public RunOptions withCancel(BooleanSupplier c) {
            return new RunOptions(listener, c, resumeFrom, checkpointInterval, initState, storage);
        }

        public RunOptions withResumeFrom(Path dir) {
            return new RunOptions(listener, cancelled, dir, checkpointInterval, initState, storage);
        }

        public RunOptions withCheckpointInterval(Duration interval) {
            return new RunOptions(listener, cancelled, resumeFrom, interval, initState, storage);
        }

        public RunOptions withInitState(Map<String, Tensor> state) {
            return new RunOptions(listener, cancelled, resumeFrom, checkpointInterval, state, storage);
        }

        boolean checkpointDue(long sinceNanos) {
            return checkpointInterval != null && !checkpointInterval.isZero()
                    && System.nanoTime() - sinceNanos >= checkpointInterval.toNanos();
        }
    }

    public static final String ADAPTER_FILE = "adapter.vbnk";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String BEST_DIR = "best";
    /** Provenance keys of an exported adapter that evaluation reads back. */
    public static final String TASK = "task";
    public static final String MAX_SEQ_LENGTH = "max_seq_length";
    /** fp16 storage of every floating-point array but kept logits; what trained adapters are written with by default. */
    public static final CompactFormat.Options FP16_STORAGE = CompactFormat.Options.TRAINED;

    private final BaseModelStore store;
    private final Device device;
    private final NDManager root;
    private final Map<String, EncoderWeights> bases = new HashMap<>();

    /** A tuner on the CPU. */
    public FineTuner(BaseModelStore store) {
        this(store, Device.cpu());
    }

    /** A tuner whose weights, batches and optimizer state live on {@code device} (see vblora-core's {@code Devices}). */
    public FineTuner(BaseModelStore store, Device device) {
        this.store = store;
        this.device = device;
        this.root = Engine.getEngine("PyTorch").newBaseManager(device);
    }

    /** The device this tuner trains on. */
    public Device device() {
        return device;
    }

    public static EncoderShape shapeOf(BaseModel m) {
        return new EncoderShape(m.vocabSize(), m.hiddenSize(), m.layers(), m.heads(), m.intermediateSize(),
                m.maxPositions(), m.typeVocabSize(), (float) m.layerNormEps());
    }

    public static Pooling poolingOf(BaseModel m) {
        return Pooling.valueOf(m.pooling().name());
    }

    /** The frozen encoder of a registered model on this tuner's manager (loaded and converted once). */
    public EncoderWeights baseWeights(BaseModel m) throws IOException {
        EncoderWeights w = bases.get(m.id());
        if (w == null) {
            Map<String, FloatTensor> t = store.load(m);
            w = EncoderWeights.fromArrays(root, shapeOf(m), FloatTensor.values(t), FloatTensor.shapes(t));
            bases.put(m.id(), w);
        }
        return w;
    }

    public static Batch toCoreBatch(Batches.LabeledBatch b) {
        var t = b.batch();
        return new Batch(t.size(), t.length(), t.inputIds(), t.attentionMask(), t.tokenTypeIds(), b.labels());
    }

    /** The model card's input prefix (e5: "query: ") on every text. */
    public static Dataset withPrefix(Dataset d, String prefix) {
        if (d == null || prefix.isEmpty()) {
            return d;
        }
        List<Dataset.Row> rows = new ArrayList<>(d.size());
        for (Dataset.Row r : d.rows()) {
            rows.add(new Dataset.Row(prefix + r.textA(), r.textB() == null ? null : prefix + r.textB(), r.label(),
                    r.target(), r.line()));
        }
        return new Dataset(d.task(), d.labels(), d.pairs(), rows);
    }

    /** Optimizer steps the spec asks for over {@code microPerEpoch} micro-batches per epoch. */
    public static long totalSteps(TrainingSpec spec, int microPerEpoch) {
        if (spec.maxSteps() > 0) {
            return spec.maxSteps();
        }
        long micro = (long) spec.epochs() * microPerEpoch;
        return (micro + spec.gradientAccumulation() - 1) / spec.gradientAccumulation();
    }

    /** A libtorch seed per micro-batch, so dropout masks depend on (seed, position) alone (SplitMix64 finalizer). */
    static int rngSeed(long seed, long microBatch) {
        long z = seed * 0x9E3779B97F4A7C15L + microBatch + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 31)) & 0x7fffffff);
    }

    public FineTuneResult run(TrainingSpec spec, Dataset train, Dataset validation, Path outDir, RunOptions options)
            throws IOException {
        gradModeOff();
        BaseModel bm = BaseModels.get(spec.baseModelId());
        checkData(spec, train, validation);
        train = withPrefix(train, bm.textPrefix());
        validation = withPrefix(validation, bm.textPrefix());
        int numLabels = spec.task() == TaskType.CLASSIFICATION ? train.numClasses() : 1;
        Files.createDirectories(outDir);
        JsonNode specJson = specJson(spec);
        Checkpoint resume = options.resumeFrom() == null ? null : Checkpoint.read(options.resumeFrom());
        if (resume != null && !resume.spec().equals(specJson)) {
            throw new IllegalArgumentException("checkpoint " + options.resumeFrom() + " was written by a different spec: "
                    + resume.spec() + " vs " + specJson);
        }
        EncoderWeights base = baseWeights(bm);
        AdapterMethod method = spec.adapterMethod();
        Pooling pooling = poolingOf(bm);
        try (TextTokenizer tok = TextTokenizer.forModel(bm, spec.maxSeqLength());
             AdaptedEncoder model = resume != null ? method.restore(root, base, pooling, resume.model())
                     : options.initState() != null
                     ? method.continueFrom(root, base, numLabels, pooling, options.initState(), spec.seed())
                     : method.create(root, base, numLabels, pooling, spec.seed())) {
            model.trainIn(spec.precision(), root);
            Batches trainBatches = new Batches(train, tok, spec.batchSize(), Padding.LONGEST);
            Batches evalBatches = validation == null ? null
                    : new Batches(validation, tok, spec.batchSize() * 2, Padding.LONGEST);
            int microPerEpoch = trainBatches.batchesPerEpoch();
            long total = totalSteps(spec, microPerEpoch);
            int warmup = (int) Math.ceil(spec.warmupRatio() * total);
            LrSchedule schedule = new LrSchedule(spec.schedule(), warmup, (int) total);
            Map<ParamGroup, GroupSettings> groups = method.optimizerGroups();
            try (AdamW opt = new AdamW(root, model.parameters(), groups, schedule,
                    new AdamW.Options(0.9, 0.999, 1e-8, spec.maxGradNorm()))) {
                TrainingRun loop = new TrainingRun(root, spec, method, specJson, model, opt, groups, trainBatches,
                        validation, evalBatches, outDir, options, total, microPerEpoch, bm, train.labels());
                if (resume != null) {
                    opt.importState(resume.optimizer(), resume.step());
                    loop.restore(resume);
                }
                return loop.run();
            }
        }
    }

    /**
     * Scores a stored adapter on {@code validation} exactly as {@link #run} scores its model after the last step: the
     * spec's base model, text prefix and tokenizer length, batches of {@code 2 × batchSize} in file order with the same
     * padding, and {@link Evaluator#evaluate} on an engine model built from {@code adapter}'s weights (as read back from a
     * file: a VB-LoRA adapter with logits comes back as trained, one in top-k form from its indices and weights).
     */
    public Evaluation evaluate(TrainingSpec spec, AdapterWeights adapter, Dataset validation) throws IOException {
        gradModeOff();
        BaseModel bm = BaseModels.get(spec.baseModelId());
        checkData(spec, validation, validation);
        validation = withPrefix(validation, bm.textPrefix());
        EncoderWeights base = baseWeights(bm);
        try (TextTokenizer tok = TextTokenizer.forModel(bm, spec.maxSeqLength());
             AdaptedEncoder model = AdapterLoader.load(root, base, adapter, poolingOf(bm))) {
            Batches batches = new Batches(validation, tok, spec.batchSize() * 2, Padding.LONGEST);
            return Evaluator.evaluate(root, model, validation, batches);
        }
    }

    /**
     * A run's adapter file written again with {@code options}, the bytes that gives, and that file as read back and
     * scored by {@link #evaluate(TrainingSpec, AdapterWeights, Dataset)}. A bank-referencing adapter is read with the
     * spec's shared bank. No training: one evaluation pass.
     */
    public StoredEvaluation evaluateStored(TrainingSpec spec, Path adapterFile, CompactFormat.Options options,
                                           Dataset validation) throws IOException {
        AdapterWeights stored = readAdapter(spec, Files.readAllBytes(adapterFile));
        byte[] rewritten = CompactFormat.write(stored, options);
        AdapterWeights back = readAdapter(spec, rewritten);
        return new StoredEvaluation(options, rewritten.length, back, evaluate(spec, back, validation));
    }

    /** What {@link #evaluateStored} measured: the options, the file's size, the adapter read back, its evaluation. */
    public record StoredEvaluation(CompactFormat.Options options, long bytes, AdapterWeights readBack,
                                   Evaluation evaluation) {
    }

    private static AdapterWeights readAdapter(TrainingSpec spec, byte[] file) {
        return CompactFormat.read(file, spec.sharedBank());
    }

    private static void checkData(TrainingSpec spec, Dataset train, Dataset validation) {
        if (train.task() != spec.task()) {
            throw new IllegalArgumentException("task: spec says " + spec.task() + " but the training data is "
                    + train.task());
        }
        if (train.size() == 0) {
            throw new IllegalArgumentException("training data is empty");
        }
        if (validation != null && (validation.task() != train.task() || !validation.labels().equals(train.labels())
                || validation.size() == 0)) {
            throw new IllegalArgumentException("validation data: needs the training task and labels, and rows");
        }
    }

    static JsonNode specJson(TrainingSpec spec) {
        var node = Checkpoint.JSON.createObjectNode();
        node.put("base_model", spec.baseModelId());
        AdapterMethod method = spec.adapterMethod();
        node.put("method", method.id());
        method.describe(node);
        node.put("task", spec.task().name().toLowerCase());
        node.put("epochs", spec.epochs());
        node.put("max_steps", spec.maxSteps());
        node.put("batch_size", spec.batchSize());
        node.put("max_seq_length", spec.maxSeqLength());
        node.put("gradient_accumulation", spec.gradientAccumulation());
        node.put("warmup_ratio", spec.warmupRatio());
        node.put("schedule", spec.schedule().name().toLowerCase());
        node.put("eval_every", spec.evalEvery());
        node.put("checkpoint_every", spec.checkpointEvery());
        node.put("seed", spec.seed());
        node.put("max_grad_norm", spec.maxGradNorm());
        if (spec.precision() != Precision.FP32) {
            // absent means fp32, so checkpoints written before precision existed still match their job's spec
            node.put("precision", spec.precision().wireName());
        }
        try {
            // as read back from a file, so a checkpoint's spec compares equal node for node
            return Checkpoint.JSON.readTree(Checkpoint.JSON.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Switches PyTorch's grad mode off on the calling thread. The mode is per thread and on by default; only the thread
     * that loaded libtorch starts with it off, and a gradient collector restores what it found. With it on, forward
     * passes outside a collector record graphs and the optimizer's in-place updates of parameters fail.
     */
    public static void gradModeOff() {
        JniUtils.setGradMode(false);
    }

    /** Trainable values of a model (adapter + head). */
    public static long trainableCount(AdaptedEncoder model) {
        long n = 0;
        for (TrainableParameter p : model.parameters()) {
            n += p.array().size();
        }
        return n;
    }

    /** Arrays alive on this tuner's manager tree (base weights included), to check that steps leak nothing. */
    public int liveArrays() {
        return root.getManagedArrays().size();
    }

    @Override
    public void close() {
        bases.values().forEach(EncoderWeights::close);
        bases.clear();
        root.close();
    }
}
