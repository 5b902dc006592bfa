package dev.vbank.text.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.text.train.Batches;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.metrics.Metrics;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.serve.ComposedAdapter;
import dev.vbank.vblora.model.EncoderWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Scores a stored adapter on the tasks of a suite: the adapter is composed into its low-rank factors and run on its base
 * model's shared weights by the serving forward ({@link ScoringAdapter}); each task's rows are selected by its split,
 * mapped onto the adapter's labels and run in batches of rows of similar length, without gradients, and the task's
 * metrics are computed with {@link Metrics}. A task the adapter's head cannot score
 * (another task type, labels the head does not know, a metric of the other task type) is {@code skipped} with the reason.
 * <p>
 * Uses the {@link FineTuner}'s frozen base weights (shared, never changed) and the same thread rules: one call at a time.
 */
public final class SuiteEvaluator implements AutoCloseable {

    public static final int DEFAULT_BATCH_SIZE = 32;
    static final List<String> CLASSIFICATION_METRICS = List.of("accuracy", "f1_macro", "mcc");
    static final List<String> REGRESSION_METRICS = List.of("pearson", "spearman", "mse");

    /** The rows of a task's dataset (a public dataset, or a file the caller fetched). */
    @FunctionalInterface
    public interface TaskSource {
        RawDataset examples(ScoringTask task) throws IOException, InterruptedException;
    }

    /** Called after every task, on the evaluating thread. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (done, total, result) -> { };

        void onTask(int done, int total, TaskScore result);
    }

    /** A task's result with the per-row outputs and gold values it was computed from (class indices of the head). */
    public record Scored(TaskScore result, double[][] outputs, int[] goldClasses, double[] goldTargets) {
    }

    private final FineTuner tuner;
    private final NDManager root;
    private final int batchSize;

    public SuiteEvaluator(FineTuner tuner) {
        this(tuner, DEFAULT_BATCH_SIZE);
    }

    public SuiteEvaluator(FineTuner tuner, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, was " + batchSize);
        }
        this.tuner = tuner;
        this.batchSize = batchSize;
        this.root = Engine.getEngine("PyTorch").newBaseManager(tuner.device());
    }

    /**
     * Reads a compact adapter and composes it. The sequence length is the adapter's recorded {@code max_seq_length}
     * (provenance), else {@link TrainingSpec#DEFAULT_MAX_SEQ_LENGTH}.
     *
     * @throws IllegalArgumentException for bytes that are no adapter, an unknown base model or other base weights
     */
    public ScoringAdapter load(byte[] compact) throws IOException {
        return load(compact, null);
    }

    /** As {@link #load(byte[])}; a bank-referencing adapter gets its bank from {@code banks} (sha256 checked). */
    public ScoringAdapter load(byte[] compact, CompactFormat.BankSource banks) throws IOException {
        FineTuner.gradModeOff();
        AdapterWeights w = CompactFormat.read(compact, banks);
        BaseModel bm = BaseModels.of(w);
        int seqLen = Math.min(bm.maxPositions(), recordedSeqLength(w));
        TaskType type = recordedTask(w);
        Accounting acc = Accounting.of(w, CompactFormat.storedOptions(compact));
        EncoderWeights base = tuner.baseWeights(bm);
        ComposedAdapter composed = ComposedAdapter.compose(root, w, FineTuner.shapeOf(bm));
        try {
            TextTokenizer tokenizer = TextTokenizer.forModel(bm, seqLen);
            return new ScoringAdapter(w, bm, type, seqLen, sha256(compact), compact.length, acc.trainable(),
                    storedValues(compact), base, FineTuner.poolingOf(bm), composed, tokenizer);
        } catch (RuntimeException e) {
            composed.close();
            throw e;
        }
    }

    /** Every task of a suite, in order; the listener hears of each. Throws {@link CancellationException} when cancelled. */
    public SuiteScore evaluate(byte[] compact, List<ScoringTask> tasks, TaskSource source, Listener listener,
                                      BooleanSupplier cancelled) throws IOException, InterruptedException {
        return evaluate(compact, null, tasks, source, listener, cancelled);
    }

    /** As above; a bank-referencing adapter's bank comes from {@code banks}. */
    public SuiteScore evaluate(byte[] compact, CompactFormat.BankSource banks, List<ScoringTask> tasks,
                               TaskSource source, Listener listener, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        try (ScoringAdapter m = load(compact, banks)) {
            List<TaskScore> results = new ArrayList<>();
            for (ScoringTask task : tasks) {
                checkCancelled(cancelled);
                TaskScore r = evaluate(m, task, source, cancelled);
                results.add(r);
                listener.onTask(results.size(), tasks.size(), r);
            }
            return new SuiteScore(m.sha256(), m.storedBytes(), m.trainableParameters(), m.storedParameters(),
                    results);
        }
    }

    /** One task: skipped when it does not apply to the adapter, else scored (its rows are read only then). */
    public TaskScore evaluate(ScoringAdapter m, ScoringTask task, TaskSource source, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        String why = inapplicable(m, task);
        if (why != null) {
            return skipped(task, why);
        }
        return score(m, task, source.examples(task), cancelled).result();
    }

    /** Scores one task on rows already read (the checks of {@link #evaluate(ScoringAdapter, ScoringTask, TaskSource,
     * BooleanSupplier)} included). */
    public Scored score(ScoringAdapter m, ScoringTask task, RawDataset raw, BooleanSupplier cancelled) {
        String why = inapplicable(m, task);
        if (why != null) {
            return new Scored(skipped(task, why), new double[0][], new int[0], new double[0]);
        }
        FineTuner.gradModeOff();
        TaskType type = m.taskType();
        Dataset rows = TaskExamples.select(raw, type, task.split());
        int[] toHead = null;
        if (type == TaskType.CLASSIFICATION) {
            List<String> unknown = rows.labels().stream().filter(l -> !m.labels().contains(l)).toList();
            if (!unknown.isEmpty()) {
                return new Scored(skipped(task, "the task's labels " + unknown + " are not classes of the adapter's"
                        + " head " + m.labels()), new double[0][], new int[0], new double[0]);
            }
            toHead = rows.labels().stream().mapToInt(l -> m.labels().indexOf(l)).toArray();
        }
        int n = rows.size();
        int outputs = m.numOutputs();
        double[][] out = new double[n][];
        long started = System.nanoTime();
        // rows of similar length share a batch (less padding); outputs go back to their row
        int[] order = java.util.stream.IntStream.range(0, n).boxed()
                .sorted(java.util.Comparator.comparingInt(i -> textLength(rows.rows().get(i))))
                .mapToInt(Integer::intValue).toArray();
        List<Dataset.Row> sorted = new ArrayList<>(n);
        for (int i : order) {
            sorted.add(rows.rows().get(i));
        }
        Dataset byLength = new Dataset(rows.task(), rows.labels(), rows.pairs(), sorted);
        Batches batches = new Batches(FineTuner.withPrefix(byLength, m.baseModel().textPrefix()), m.tokenizer(),
                batchSize, Padding.LONGEST);
        int row = 0;
        try (NDManager scope = root.newSubManager()) {
            for (Batches.LabeledBatch b : batches.inOrder()) {
                checkCancelled(cancelled);
                float[] logits = m.predict(scope, FineTuner.toCoreBatch(b));
                for (int i = 0; i < b.batch().size(); i++) {
                    double[] z = new double[outputs];
                    for (int k = 0; k < outputs; k++) {
                        z[k] = logits[i * outputs + k];
                    }
                    out[order[row++]] = z;
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int[] goldClasses = new int[0];
        double[] goldTargets = new double[0];
        Map<String, Double> values = new LinkedHashMap<>();
        List<String> undefined = new ArrayList<>();
        if (type == TaskType.CLASSIFICATION) {
            goldClasses = new int[n];
            for (int i = 0; i < n; i++) {
                goldClasses[i] = toHead[rows.rows().get(i).label()];
            }
            int[] predicted = Metrics.argmax(out);
            for (String metric : metrics(task, type)) {
                put(values, undefined, metric, switch (metric) {
                    case "accuracy" -> Metrics.accuracy(predicted, goldClasses);
                    case "f1_macro" -> Metrics.macroF1(predicted, goldClasses, outputs);
                    default -> Metrics.matthews(predicted, goldClasses, outputs);
                });
            }
        } else {
            goldTargets = rows.targets();
            double[] predicted = new double[n];
            for (int i = 0; i < n; i++) {
                predicted[i] = out[i][0];
            }
            for (String metric : metrics(task, type)) {
                put(values, undefined, metric, switch (metric) {
                    case "pearson" -> Metrics.pearson(predicted, goldTargets);
                    case "spearman" -> Metrics.spearman(predicted, goldTargets);
                    default -> Metrics.mse(predicted, goldTargets);
                });
            }
        }
        String detail = undefined.isEmpty() ? null : "undefined on these rows (constant predictions or gold values): "
                + String.join(", ", undefined);
        TaskScore result = new TaskScore(task.name(), TaskScore.SUCCEEDED, values, n,
                seconds > 0 ? n / seconds : 0, detail);
        return new Scored(result, out, goldClasses, goldTargets);
    }

    /**
     * Trains the head-only baseline (the base model with only a head) as {@code spec} says, writing no checkpoints,
     * and returns the adapter's compact bytes. Throws {@link CancellationException} when cancelled.
     */
    public byte[] trainBaseline(TrainingSpec spec, Dataset train, Dataset validation, Path outDir,
                                BooleanSupplier cancelled) throws IOException {
        if (spec.method() != Method.HEAD_ONLY) {
            throw new IllegalArgumentException("a baseline trains method head_only, not " + spec.method().id());
        }
        TrainingSpec headOnly = spec.toBuilder().checkpointEvery(0).build();
        FineTuneResult r = tuner.run(headOnly, train, validation, outDir,
                FineTuner.RunOptions.defaults().withCancel(cancelled));
        if (r.status() == FineTuneResult.Status.CANCELLED) {
            throw new CancellationException("baseline training cancelled at step " + r.steps());
        }
        return Files.readAllBytes(r.adapterFile());
    }

    /** Arrays alive on this evaluator's managers (composed adapters, batches), to check nothing leaks. */
    public int liveArrays() {
        return root.getManagedArrays().size();
    }

    @Override
    public void close() {
        root.close();
    }

    /** Why a task cannot apply to the adapter (null when it can). */
    static String inapplicable(ScoringAdapter m, ScoringTask task) {
        TaskType type;
        try {
            type = TaskExamples.taskType(task.taskType());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (type != m.taskType()) {
            return "the task is " + lower(type) + " but the adapter's head was trained for " + lower(m.taskType());
        }
        if (type == TaskType.CLASSIFICATION && m.labels().isEmpty()) {
            return "the adapter records no class labels to map the task's labels onto";
        }
        Set<String> known = new TreeSet<>(type == TaskType.CLASSIFICATION ? CLASSIFICATION_METRICS : REGRESSION_METRICS);
        List<String> foreign = task.metrics().stream().filter(x -> !known.contains(x)).toList();
        if (!foreign.isEmpty()) {
            return "metrics " + foreign + " do not apply to " + lower(type) + " (known: " + known + ")";
        }
        return null;
    }

    private static List<String> metrics(ScoringTask task, TaskType type) {
        if (!task.metrics().isEmpty()) {
            return task.metrics();
        }
        return type == TaskType.CLASSIFICATION ? List.of("accuracy", "f1_macro") : REGRESSION_METRICS;
    }

    private static void put(Map<String, Double> values, List<String> undefined, String metric, double v) {
        if (Double.isFinite(v)) {
            values.put(metric, v);
        } else {
            undefined.add(metric);
        }
    }

    private static TaskScore skipped(ScoringTask task, String why) {
        return new TaskScore(task.name(), TaskScore.SKIPPED, Map.of(), 0, 0, why);
    }

    private static void checkCancelled(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("evaluation cancelled");
        }
    }

    private static String lower(TaskType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static int textLength(Dataset.Row r) {
        return r.textA().length() + (r.textB() == null ? 0 : r.textB().length());
    }

    public static int recordedSeqLength(AdapterWeights w) {
        String v = w.provenance().get(FineTuner.MAX_SEQ_LENGTH);
        if (v != null) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= 2) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // a foreign provenance value: fall back to the default
            }
        }
        return TrainingSpec.DEFAULT_MAX_SEQ_LENGTH;
    }

    /** The task the adapter's head was trained for: its provenance, else one output means regression. */
    public static TaskType recordedTask(AdapterWeights w) {
        String v = w.provenance().get(FineTuner.TASK);
        if (v != null) {
            try {
                return TaskExamples.taskType(v);
            } catch (IllegalArgumentException ignored) {
                // fall through to the head's shape
            }
        }
        var head = w.head().get(dev.vbank.vblora.model.ClassificationHead.WEIGHT);
        return head != null && head.dim(0) == 1 ? TaskType.REGRESSION : TaskType.CLASSIFICATION;
    }

    /** Element count of every payload tensor the compact file lists. */
    static long storedValues(byte[] compact) {
        JsonNode tensors = CompactFormat.readManifest(compact).path("tensors");
        long total = 0;
        for (JsonNode t : tensors) {
            long n = 1;
            for (JsonNode d : t.path("shape")) {
                n = Math.multiplyExact(n, d.asLong());
            }
            total += n;
        }
        return total;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
