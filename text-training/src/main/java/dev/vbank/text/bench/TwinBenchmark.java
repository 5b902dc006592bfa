package dev.vbank.text.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.Batches;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.Progress;
import dev.vbank.text.train.ProgressListener;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.bench.BenchArgs;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.method.AdapterMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.optim.GroupSettings;
import dev.vbank.vblora.precision.Precision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Side by side: trains the same job (same data, hyper-parameters, seed, initial adapter) through the engine's training
 * loop ({@link FineTuner#run}) and through a PyTorch-eager twin ({@code vbank_twin.py} under Debian's python3-torch),
 * alternating the two in every round, for VB-LoRA and LoRA r=8 on the same modules; prints examples/s of each, the
 * engine ÷ twin ratio and VB-LoRA ÷ LoRA step ratios, and compares the two sides' losses step by step.
 * <p>
 * Options: {@code --rounds 3 --steps 12 --warmup 2 --threads 2 --batch 16 --seq 128 --targets qv --methods vblora,lora
 * --twin <path to vbank_twin.py> --python /usr/bin/python3 --work <dir> --profile false --bf16 false}. With
 * {@code --bf16 true} every round also trains the engine with {@code precision: bf16} (third side, in the rotation) and
 * the report adds its examples/s, its step time ÷ the fp32 engine's and its largest loss difference from fp32. With
 * {@code --profile true} the first round records one step after the warm-up with libtorch's profiler on each side
 * (chrome traces in the work directory; {@code vbank_twin.py --summarize <trace>...} prints self time per op); that
 * round's figures include the profiler's overhead.
 */
public final class TwinBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DATA_SEED = 7;
    private static final long SEED = 42;

    /** Examples/s of the timed steps (after warm-up), and every step's loss. */
    record Run(String side, String method, int round, double examplesPerSecond, double medianStepMs, float[] losses) {
    }

    private TwinBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        BenchArgs o = BenchArgs.parse(args);
        int rounds = o.integer("rounds", 3);
        int steps = o.integer("steps", 12);
        int warmup = o.integer("warmup", 2);
        int threads = o.integer("threads", 2);
        int batch = o.integer("batch", 16);
        int seq = o.integer("seq", 128);
        String targets = o.string("targets", "qv");
        List<String> methods = o.list("methods", "vblora,lora");
        Path twin = Path.of(o.string("twin", "text-training/src/main/python/vbank_twin.py"));
        String python = o.string("python", "/usr/bin/python3");
        Path work = Path.of(o.string("work", "text-training/target/twin-bench"));
        boolean profile = Boolean.parseBoolean(o.string("profile", "false"));
        List<String> sides = Boolean.parseBoolean(o.string("bf16", "false"))
                ? List.of("engine", "twin", "engine-bf16") : List.of("engine", "twin");
        if (warmup >= steps) {
            throw new IllegalArgumentException("--warmup must be below --steps");
        }
        // read by the engine when it starts: set before anything touches libtorch
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Files.createDirectories(work);

        BaseModel bm = BaseModels.get("all-minilm-l6-v2");
        Dataset train = imdbRows(steps * batch);
        Map<String, TrainingSpec> specs = new LinkedHashMap<>();
        for (String m : methods) {
            specs.put(m, spec(bm, m.strip(), targets, steps, batch, seq));
        }
        BaseModelStore store = new BaseModelStore(BaseModelStore.defaultDirectory());
        List<Run> runs = new ArrayList<>();
        try (FineTuner tuner = new FineTuner(store)) {
            Path job = writeJob(tuner, store, bm, train, specs, work, threads, steps);
            System.out.printf(Locale.ROOT, "engine: libtorch %s, %s threads; twin: %s; %d rows of imdb-50k, batch %d x"
                            + " <=%d tokens, %d steps (%d warm-up), %d rounds; load average %s%n",
                    Engine.getEngine("PyTorch").getVersion(), threads, python, train.size(), batch, seq, steps, warmup,
                    rounds, BenchArgs.loadAverage());
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < methods.size(); i++) {
                    String m = methods.get((i + round) % methods.size()).strip();
                    for (int k = 0; k < sides.size(); k++) {
                        String side = sides.get((k + round + i) % sides.size());
                        boolean profiled = profile && round == 0;
                        Run r = switch (side) {
                            case "twin" -> twin(python, twin, job, m, round, warmup, threads, profiled);
                            case "engine-bf16" -> engine(tuner, specs.get(m).toBuilder().precision(Precision.BF16)
                                    .build(), side, train, work, m, round, warmup, profiled);
                            default -> engine(tuner, specs.get(m), side, train, work, m, round, warmup, profiled);
                        };
                        runs.add(r);
                        System.err.printf(Locale.ROOT, "round %d %-6s %-6s %7.2f examples/s (median step %5.0f ms),"
                                        + " load %s%n", round + 1, m, r.side(), r.examplesPerSecond(), r.medianStepMs(),
                                BenchArgs.loadAverage());
                    }
                }
            }
        }
        report(runs, methods, rounds);
        if (sides.contains("engine-bf16")) {
            reportBf16(runs, methods, rounds);
        }
        System.out.printf(Locale.ROOT, "load average at the end: %s%n", BenchArgs.loadAverage());
    }

    static TrainingSpec spec(BaseModel bm, String method, String targets, int steps, int batch, int seq) {
        TrainingSpec.Builder b = TrainingSpec.builder(bm.id()).maxSteps(steps).batchSize(batch).maxSeqLength(seq)
                .seed(SEED).warmupRatio(0.1);
        return switch (method) {
            case "vblora" -> b.method(Method.VBLORA).vblora(TrainingSpec.defaultVblora(targets)).build();
            case "lora" -> b.method(Method.LORA).lora(LoraConfig.defaults().withR(8).withDropout(0)
                    .withTargetModules(TargetModules.parse(targets))).build();
            default -> throw new IllegalArgumentException("--methods: vblora or lora, was '" + method + "'");
        };
    }

    private static Dataset imdbRows(int n) throws IOException, InterruptedException {
        PublicDatasets.Result r = PublicDatasets.fetch(PublicDatasets.IMDB_50K, PublicDatasets.defaultDirectory(),
                DATA_SEED);
        RawDataset raw = DatasetReader.read(r.jsonl());
        List<Dataset.Row> rows = new ArrayList<>(DatasetSplits.of(raw, raw, TaskType.CLASSIFICATION).train().rows());
        Collections.shuffle(rows, new Random(DATA_SEED));
        return new Dataset(TaskType.CLASSIFICATION, DatasetSplits.discoverLabels(raw), false, rows.subList(0, n));
    }

    /** The twin's job: weights, the engine's batches in its order, each method's initial state and optimizer groups. */
    private static Path writeJob(FineTuner tuner, BaseModelStore store, BaseModel bm, Dataset train,
                                 Map<String, TrainingSpec> specs, Path work, int threads, int steps)
            throws IOException {
        TrainingSpec any = specs.values().iterator().next();
        ObjectNode job = JSON.createObjectNode();
        job.put("weights", store.ensureConverted(bm).toAbsolutePath().toString());
        job.put("threads", threads);
        job.put("steps", steps);
        job.put("max_grad_norm", any.maxGradNorm());
        job.putArray("betas").add(0.9).add(0.999);
        job.put("eps", 1e-8);
        ObjectNode schedule = job.putObject("schedule");
        schedule.put("kind", any.schedule().name().toLowerCase(Locale.ROOT));
        schedule.put("warmup", (int) Math.ceil(any.warmupRatio() * steps));
        schedule.put("total", steps);
        EncoderShape shape = FineTuner.shapeOf(bm);
        ObjectNode enc = job.putObject("encoder");
        enc.put("layers", shape.numLayers());
        enc.put("heads", shape.numHeads());
        enc.put("hidden", shape.hiddenSize());
        enc.put("layer_norm_eps", shape.layerNormEps());
        enc.put("pooling", FineTuner.poolingOf(bm).name().toLowerCase(Locale.ROOT));
        job.put("batches", writeBatches(bm, train, any, work).toAbsolutePath().toString());
        ObjectNode methods = job.putObject("methods");
        for (Map.Entry<String, TrainingSpec> e : specs.entrySet()) {
            methods.set(e.getKey(), methodJob(tuner, bm, train, e.getKey(), e.getValue(), work));
        }
        Path file = work.resolve("job.json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), job);
        return file;
    }

    private static Path writeBatches(BaseModel bm, Dataset train, TrainingSpec spec, Path work) {
        List<Safetensors.Entry> entries = new ArrayList<>();
        try (TextTokenizer tok = TextTokenizer.forModel(bm, spec.maxSeqLength())) {
            Batches batches = new Batches(FineTuner.withPrefix(train, bm.textPrefix()), tok, spec.batchSize(),
                    Padding.LONGEST);
            int i = 0;
            for (Batches.LabeledBatch lb : batches.epoch(spec.seed(), 0)) {
                var t = lb.batch();
                long[] shape = {t.size(), t.length()};
                entries.add(Safetensors.Entry.ints("input_ids." + i, Safetensors.DType.I32, shape, t.inputIdsInt()));
                entries.add(Safetensors.Entry.ints("attention_mask." + i, Safetensors.DType.I32, shape,
                        toInt(t.attentionMask())));
                entries.add(Safetensors.Entry.ints("token_type_ids." + i, Safetensors.DType.I32, shape,
                        toInt(t.tokenTypeIds())));
                entries.add(Safetensors.Entry.ints("labels." + i, Safetensors.DType.I32, new long[] {t.size()},
                        toInt(lb.labels())));
                i++;
            }
        }
        Path file = work.resolve("batches.safetensors");
        try {
            Safetensors.write(file, Map.of(), entries);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file;
    }

    private static ObjectNode methodJob(FineTuner tuner, BaseModel bm, Dataset train, String name, TrainingSpec spec,
                                        Path work) throws IOException {
        AdapterMethod method = spec.adapterMethod();
        ObjectNode m = JSON.createObjectNode();
        // the engine draws its adapter and head from the spec's seed inside run(): the same call here gives the twin
        // the identical start
        try (var scratch = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager();
             AdaptedEncoder model = method.create(scratch, tuner.baseWeights(bm), train.numClasses(),
                     FineTuner.poolingOf(bm), spec.seed())) {
            List<Safetensors.Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : model.exportState().entrySet()) {
                entries.add(Safetensors.Entry.f32(e.getKey(), e.getValue()));
            }
            Path init = work.resolve("init-" + name + ".safetensors");
            Safetensors.write(init, Map.of(), entries);
            m.put("init", init.toAbsolutePath().toString());
            ArrayNode modules = m.putArray("modules");
            model.adapter().modulePaths().forEach(modules::add);
        }
        m.put("kind", spec.method() == Method.VBLORA ? "vblora" : "lora");
        if (spec.method() == Method.VBLORA) {
            m.put("topk", spec.vblora().topk());
        } else {
            m.put("scaling", spec.lora().alpha() / spec.lora().r());
        }
        ObjectNode groups = m.putObject("groups");
        for (Map.Entry<ParamGroup, GroupSettings> g : method.optimizerGroups().entrySet()) {
            ObjectNode s = groups.putObject(g.getKey().name().toLowerCase(Locale.ROOT));
            s.put("lr", g.getValue().learningRate());
            s.put("weight_decay", g.getValue().weightDecay());
        }
        return m;
    }

    private static Run engine(FineTuner tuner, TrainingSpec spec, String side, Dataset train, Path work, String method,
                              int round, int warmup, boolean profile) throws IOException {
        List<Long> stamps = new ArrayList<>();
        long start = System.nanoTime();
        stamps.add(start);
        Path trace = work.resolve("profile-" + side + "-" + method + ".json").toAbsolutePath();
        ProgressListener timer = new ProgressListener() {
            @Override
            public void onStep(Progress p) {
                stamps.add(System.nanoTime());
                // libtorch's profiler over the one step after the warm-up (its overhead is outside the timed steps'
                // figures only for that step, so a profiled round is reported but not meant for the ratios)
                if (profile && p.step() == warmup) {
                    JniUtils.startProfile(false, true, false);
                } else if (profile && p.step() == warmup + 1) {
                    JniUtils.stopProfile(trace.toString());
                }
            }
        };
        Path out = work.resolve(side + "-" + method + "-" + round);
        FineTuneResult r = tuner.run(spec, train, null, out, FineTuner.RunOptions.defaults().withListener(timer));
        float[] losses = new float[r.losses().size()];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = r.losses().get(i);
        }
        double[] stepSeconds = new double[stamps.size() - 1];
        for (int i = 1; i < stamps.size(); i++) {
            stepSeconds[i - 1] = (stamps.get(i) - stamps.get(i - 1)) / 1e9;
        }
        return timed(side, method, round, warmup, stepSeconds, spec.batchSize(), losses);
    }

    private static Run twin(String python, Path script, Path job, String method, int round, int warmup, int threads,
                            boolean profile) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), "--job", job.toString(), "--method",
                method));
        if (profile) {
            command.addAll(List.of("--profile-step", Integer.toString(warmup), "--profile-out",
                    job.resolveSibling("profile-twin-" + method + ".json").toAbsolutePath().toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the twin failed (exit " + p.exitValue() + "): " + out);
        }
        var node = JSON.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        double[] seconds = new double[node.get("step_seconds").size()];
        float[] losses = new float[seconds.length];
        int rows = node.get("rows").get(0).asInt();
        for (int i = 0; i < seconds.length; i++) {
            seconds[i] = node.get("step_seconds").get(i).asDouble();
            losses[i] = (float) node.get("losses").get(i).asDouble();
        }
        return timed("twin", method, round, warmup, seconds, rows, losses);
    }

    static Run timed(String side, String method, int round, int warmup, double[] stepSeconds, int rowsPerStep,
                     float[] losses) {
        double[] timedSteps = Arrays.copyOfRange(stepSeconds, warmup, stepSeconds.length);
        double total = Arrays.stream(timedSteps).sum();
        return new Run(side, method, round, timedSteps.length * rowsPerStep / total,
                BenchArgs.median(timedSteps) * 1e3, losses);
    }

    /** Examples/s of two sides per round, their per-round ratio a ÷ b, and the largest loss difference. */
    private record Pair(double[] a, double[] b, double[] ratio, double maxLossDiff) {
        static Pair of(List<Run> runs, String sideA, String sideB, String method, int rounds) {
            double[] a = new double[rounds];
            double[] b = new double[rounds];
            double[] ratio = new double[rounds];
            double maxDiff = 0;
            for (int round = 0; round < rounds; round++) {
                Run ra = find(runs, sideA, method, round);
                Run rb = find(runs, sideB, method, round);
                a[round] = ra.examplesPerSecond();
                b[round] = rb.examplesPerSecond();
                ratio[round] = a[round] / b[round];
                for (int i = 0; i < Math.min(ra.losses().length, rb.losses().length); i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ra.losses()[i] - rb.losses()[i]));
                }
            }
            return new Pair(a, b, ratio, maxDiff);
        }
    }

    private static void report(List<Run> runs, List<String> methods, int rounds) {
        System.out.println();
        System.out.println("| method | engine examples/s (median of rounds) | twin examples/s"
                + " | engine ÷ twin (median of per-round ratios) | max |loss diff| over the steps |");
        System.out.println("|---|---:|---:|---:|---:|");
        Map<String, Pair> pairs = new LinkedHashMap<>();
        for (String raw : methods) {
            String m = raw.strip();
            Pair p = Pair.of(runs, "engine", "twin", m, rounds);
            pairs.put(m, p);
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.3f (rounds: %s) | %.2e |%n", m,
                    BenchArgs.median(p.a()), BenchArgs.median(p.b()), BenchArgs.median(p.ratio()), format(p.ratio()),
                    p.maxLossDiff());
        }
        if (pairs.containsKey("vblora") && pairs.containsKey("lora")) {
            System.out.printf(Locale.ROOT, "%nVB-LoRA step ÷ LoRA r=8 step (same modules): engine %.3f, twin %.3f"
                            + " (ratio of median examples/s)%n",
                    BenchArgs.median(pairs.get("lora").a()) / BenchArgs.median(pairs.get("vblora").a()),
                    BenchArgs.median(pairs.get("lora").b()) / BenchArgs.median(pairs.get("vblora").b()));
        }
    }

    private static void reportBf16(List<Run> runs, List<String> methods, int rounds) {
        System.out.println();
        System.out.println("| method | engine bf16 examples/s | engine fp32 examples/s | bf16 step ÷ fp32 step (median of"
                + " per-round ratios) | max |loss diff| bf16 vs fp32 |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (String raw : methods) {
            String m = raw.strip();
            // fp32 examples/s ÷ bf16 examples/s is the bf16 step ÷ the fp32 step
            Pair p = Pair.of(runs, "engine", "engine-bf16", m, rounds);
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.3f (rounds: %s) | %.2e |%n", m,
                    BenchArgs.median(p.b()), BenchArgs.median(p.a()), BenchArgs.median(p.ratio()), format(p.ratio()),
                    p.maxLossDiff());
        }
    }

    private static Run find(List<Run> runs, String side, String method, int round) {
        return runs.stream().filter(r -> r.side().equals(side) && r.method().equals(method) && r.round() == round)
                .findFirst().orElseThrow();
    }

    private static String format(double[] xs) {
        StringBuilder sb = new StringBuilder();
        for (double x : xs) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", x));
        }
        return sb.toString();
    }

    private static int[] toInt(long[] xs) {
        int[] out = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = Math.toIntExact(xs[i]);
        }
        return out;
    }

    private static int[] toInt(float[] xs) {
        int[] out = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = (int) xs[i];
        }
        return out;
    }
}
