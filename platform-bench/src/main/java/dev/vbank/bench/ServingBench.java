package dev.vbank.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.serve.AdapterCache;
import dev.vbank.text.serve.InferenceEngine;
import dev.vbank.text.serve.ServedAdapter;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.serve.AdapterVariants;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The serving benchmark (docs/BENCHMARKS.md, "Serving"), in one process on the inference-service's own engine
 * ({@link InferenceEngine}, {@link AdapterCache}, {@link ServedAdapter}) without HTTP: single-input requests spread
 * uniformly over N distinct VB-LoRA adapters of all-MiniLM-L6-v2 (two trained here for a few steps, the rest made by
 * perturbing their top-k weights and heads). Per N: saturation throughput (closed loop, {@code --clients} requests
 * outstanding), p50/p99 under open-loop load at half of it, the first request of a cold adapter (read from its compact
 * bytes, composed, served; an idle engine), resident bytes per cached adapter; and the naive baseline that merges each
 * adapter into a copy of the base weights for its requests (the evaluation path), at saturation.
 * <pre>
 *   deploy/bin/vbank-serving-bench [--seconds 15] [--counts 1,10,100,1000] [--clients 64] [--out DIR] [--shared-bank true]
 * </pre>
 */
public final class ServingBench {

    private static final BaseModel MODEL = BaseModels.ALL_MINILM_L6_V2;
    private static final List<String> SENTENCES = List.of("great product, works as described",
            "terrible, it broke after a day", "I would buy it again without thinking twice",
            "the battery does not hold a charge at all", "fine", "not worth the money",
            "excellent sound and a long cable", "arrived late and the box was scratched",
            "does what it says on the box", "customer service never answered my emails", "five stars",
            "it is okay I guess but the manual is confusing", "my kids love it", "returned it the next day",
            "cheap plastic, feels like it will snap", "best purchase this year");

    private final FineTuner tuner;
    private final Map<String, byte[]> adapters = new LinkedHashMap<>();
    private final Map<Integer, TextTokenizer> tokenizers = new java.util.concurrent.ConcurrentHashMap<>();
    private final int clients;
    private final Duration phase;
    private final int rounds;
    private final ExecutorService clientPool;
    /** {@code --shared-bank true}: the adapters reference one published bank and are cached packed. */
    private boolean sharedBank;
    private byte[] bankFile;
    private dev.vbank.vblora.format.BankRef bankRef;
    private AdapterCache cache;

    private ServingBench(FineTuner tuner, int clients, Duration phase, int rounds) {
        this.tuner = tuner;
        this.clients = clients;
        this.phase = phase;
        this.rounds = rounds;
        this.clientPool = Executors.newFixedThreadPool(clients);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        int seconds = Integer.parseInt(o.getOrDefault("seconds", "15"));
        List<Integer> counts = java.util.Arrays.stream(o.getOrDefault("counts", "1,10,100,1000").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        int clients = Integer.parseInt(o.getOrDefault("clients", "64"));
        Path out = Path.of(o.getOrDefault("out", "platform-bench/target/bench"));
        Path models = Path.of(o.getOrDefault("models-dir", BaseModelStore.defaultDirectory().toString()));
        Files.createDirectories(out);
        try (FineTuner tuner = new FineTuner(new BaseModelStore(models))) {
            FineTuner.gradModeOff();
            ServingBench bench = new ServingBench(tuner, clients, Duration.ofSeconds(seconds),
                    Integer.parseInt(o.getOrDefault("rounds", "3")));
            bench.sharedBank = Boolean.parseBoolean(o.getOrDefault("shared-bank", "false"));
            ObjectNode result = bench.run(counts, out);
            Files.writeString(out.resolve("serving.json"), PlatformClient.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(result));
            String md = markdown(result);
            Files.writeString(out.resolve("serving.md"), md);
            System.out.println(md);
            bench.clientPool.shutdownNow();
        }
        System.exit(0);
    }

    private ObjectNode run(List<Integer> counts, Path out) throws Exception {
        ObjectNode result = PlatformClient.JSON.createObjectNode();
        result.put("started_at", Instant.now().toString()).put("load_before", PlatformBench.loadAverage())
                .put("cores", Runtime.getRuntime().availableProcessors()).put("clients", clients)
                .put("seconds_per_phase", phase.toSeconds()).put("rounds", rounds);
        int maxN = counts.stream().mapToInt(Integer::intValue).max().orElse(1);
        makeAdapters(maxN, out);
        ArrayNode rows = result.putArray("rows");
        AdapterCache cache = new AdapterCache(4L << 30);
        this.cache = cache;
        result.put("shared_bank", sharedBank);
        try (InferenceEngine engine = new InferenceEngine(tuner, Duration.ofMillis(3), 64)) {
            engine.warmUp(MODEL).join();
            // cold: adapters outside every N, one at a time on an idle engine (read, composed, served)
            Latencies cold = new Latencies();
            for (int i = 0; i < 20; i++) {
                String id = "adapter-" + (adapters.size() - 1 - i);
                long t0 = System.nanoTime();
                request(engine, cache, id).get();
                cold.add((System.nanoTime() - t0) / 1e6);
                cache.invalidate(id);
            }
            result.put("cold_p50_ms", cold.percentile(50)).put("cold_p99_ms", cold.percentile(99));
            long rssBefore = rssBytes();
            for (int i = 0; i < maxN; i++) {
                request(engine, cache, "adapter-" + i).get();
            }
            long rssAfter = rssBytes();
            ServedAdapter one = cache.get("adapter-0", this::load);
            result.put("resident_bytes_per_adapter", one.residentBytes())
                    .put("rss_delta_per_adapter", rssBefore < 0 ? -1 : (rssAfter - rssBefore) / maxN)
                    .put("rss_adapters", maxN)
                    .put("resident_adapter_state_bytes", cache.stats().bytes())
                    .put("resident_bank_bytes", cache.stats().bankBytes());
            one.release();
            // saturation in rounds, every N (and the naive server) once per round, so load swings hit all alike
            Map<Integer, List<Double>> served = new LinkedHashMap<>();
            Map<Integer, List<Double>> naive = new LinkedHashMap<>();
            Map<Integer, long[]> satBatches = new LinkedHashMap<>();
            Duration slice = phase.dividedBy(rounds);
            for (int round = 0; round < rounds; round++) {
                for (int n : counts) {
                    long b0 = engine.batches();
                    long r0 = engine.rowsServed();
                    served.computeIfAbsent(n, k -> new ArrayList<>())
                            .add(closedLoop(i -> request(engine, cache, "adapter-" + i), n, slice));
                    long[] counted = satBatches.computeIfAbsent(n, k -> new long[2]);
                    counted[0] += engine.batches() - b0;
                    counted[1] += engine.rowsServed() - r0;
                    naive.computeIfAbsent(n, k -> new ArrayList<>()).add(naive(n, slice));
                    System.out.printf(Locale.ROOT, "[serving] round %d N=%d: %.1f inputs/s, naive %.1f (load %s)%n",
                            round + 1, n, last(served.get(n)), last(naive.get(n)), PlatformBench.loadAverage());
                }
            }
            for (int n : counts) {
                double saturation = median(served.get(n));
                ObjectNode row = rows.addObject().put("adapters", n).put("saturation_inputs_per_s", saturation)
                        .put("naive_inputs_per_s", median(naive.get(n)));
                row.set("saturation_rounds", PlatformClient.JSON.valueToTree(served.get(n)));
                long[] counted = satBatches.get(n);
                row.put("saturation_rows_per_batch", counted[1] / (double) Math.max(1, counted[0]));
                row.set("naive_rounds", PlatformClient.JSON.valueToTree(naive.get(n)));
                long batchesBefore = engine.batches();
                long rowsBefore = engine.rowsServed();
                OpenLoop.Result half = OpenLoop.run("half", saturation / 2, phase, Long.MAX_VALUE,
                        Duration.ofSeconds(30), i -> CompletableFuture.supplyAsync(() -> request(engine, cache,
                                "adapter-" + ThreadLocalRandom.current().nextInt(n)), clientPool).thenCompose(f -> f));
                row.put("half_rate", saturation / 2).put("half_p50_ms", half.percentileMillis(50))
                        .put("half_p99_ms", half.percentileMillis(99)).put("half_failed", half.failed())
                        .put("half_rows_per_batch", (engine.rowsServed() - rowsBefore)
                                / (double) Math.max(1, engine.batches() - batchesBefore));
                System.out.printf(Locale.ROOT, "[serving] N=%d: %s%n", n, row);
            }
        } finally {
            cache.close();
        }
        result.put("load_after", PlatformBench.loadAverage()).put("finished_at", Instant.now().toString());
        return result;
    }

    private static double last(List<Double> values) {
        return values.get(values.size() - 1);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }

    /** Two VB-LoRA adapters trained briefly (default config: qv, h=90, b=128, r=4, k=2), then perturbed copies. */
    private void makeAdapters(int count, Path out) throws Exception {
        List<Dataset.Row> rows = new ArrayList<>();
        for (int i = 0; i < SENTENCES.size(); i++) {
            rows.add(new Dataset.Row(SENTENCES.get(i), null, i % 3 == 1 ? 0 : 1, Double.NaN, i + 1));
        }
        Dataset data = new Dataset(TaskType.CLASSIFICATION, List.of("negative", "positive"), false, rows);
        List<AdapterWeights> trained = new ArrayList<>();
        for (int seed = 1; seed <= 2; seed++) {
            TrainingSpec spec = TrainingSpec.builder(MODEL.id()).maxSteps(4).batchSize(8).maxSeqLength(64)
                    .warmupRatio(0).seed(seed).build();
            Path file = tuner.run(spec, data, null, out.resolve("serving-train-" + seed), FineTuner.RunOptions.defaults())
                    .adapterFile();
            trained.add(CompactFormat.read(Files.readAllBytes(file)));
        }
        dev.vbank.vblora.format.Tensor bank = trained.get(0).vectorBank();
        if (sharedBank) {
            bankFile = dev.vbank.vblora.format.VectorBankFile.write(bank);
            bankRef = new dev.vbank.vblora.format.BankRef("vbank-serving-bench",
                    dev.vbank.vblora.format.VectorBankFile.sha256(bankFile));
        }
        for (int i = 0; i < count + 40; i++) {
            AdapterWeights variant = AdapterVariants.perturb(trained.get(i % 2), 1000 + i, 0.3);
            if (sharedBank) {
                // distinct selections (perturbed logits) and heads over the one published bank
                variant = variant.withBank(bank, bankRef).toTopKOnly();
                adapters.put("adapter-" + i, CompactFormat.write(variant, CompactFormat.Options.SHARED_BANK));
            } else {
                adapters.put("adapter-" + i, CompactFormat.write(variant, CompactFormat.Options.FP32));
            }
        }
    }

    private ServedAdapter load(String id) {
        byte[] bytes = adapters.get(id);
        String sha = Integer.toHexString(java.util.Arrays.hashCode(bytes));
        if (sharedBank) {
            return ServedAdapter.load(adapterManager(), id, sha, bytes, ref -> bankFile, cache.banks());
        }
        return ServedAdapter.load(adapterManager(), id, sha, bytes);
    }

    private NDManager manager;

    private synchronized NDManager adapterManager() {
        if (manager == null) {
            manager = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager();
        }
        return manager;
    }

    /** One single-input request as the service runs it: cache lookup (load on a miss), tokenize, batch, release. */
    private CompletableFuture<Integer> request(InferenceEngine engine, AdapterCache cache, String id) {
        ServedAdapter a;
        try {
            a = cache.get(id, this::load);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
        String text = SENTENCES.get(ThreadLocalRandom.current().nextInt(SENTENCES.size()));
        InferenceEngine.Prepared p = engine.prepare(MODEL, a.maxSeqLength(), List.of(InferenceEngine.Input.of(text)));
        CompletableFuture<List<InferenceEngine.RowResult>> f = engine.submit(a, p);
        a.release();
        return f.thenApply(r -> r.get(0).head() != null ? 200 : 500);
    }

    /** Inputs per second with {@code clients} requests always outstanding, each for a random one of {@code bound}. */
    private double closedLoop(java.util.function.IntFunction<CompletableFuture<Integer>> call, int bound,
                              Duration duration) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            loops.add(CompletableFuture.runAsync(() -> {
                while (!stop.get()) {
                    call.apply(ThreadLocalRandom.current().nextInt(bound)).join();
                    done.incrementAndGet();
                }
            }, clientPool));
        }
        Thread.sleep(duration.toMillis());
        long count = done.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        return count / seconds;
    }

    /**
     * The naive server: one thread takes what arrived (up to 64 rows), and for each adapter among them reads it from its
     * compact bytes, merges it into copies of the base weights it adapts, runs that adapter's rows, and drops the copies.
     */
    private double naive(int n, Duration duration) throws Exception {
        record Job(String id, String text, CompletableFuture<Integer> done) {
        }
        LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread server = new Thread(() -> {
            FineTuner.gradModeOff();
            try (NDManager scope = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
                List<Job> taken = new ArrayList<>();
                while (!stop.get() || !queue.isEmpty()) {
                    Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    taken.clear();
                    taken.add(first);
                    queue.drainTo(taken, 63);
                    Map<String, List<Job>> byAdapter = new LinkedHashMap<>();
                    taken.forEach(j -> byAdapter.computeIfAbsent(j.id(), k -> new ArrayList<>()).add(j));
                    for (var e : byAdapter.entrySet()) {
                        try {
                            mergedForward(scope, adapters.get(e.getKey()), e.getValue().stream().map(Job::text)
                                    .toList());
                            e.getValue().forEach(j -> j.done().complete(200));
                        } catch (Exception ex) {
                            e.getValue().forEach(j -> j.done().completeExceptionally(ex));
                        }
                    }
                }
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "naive-server");
        server.start();
        double rate = closedLoop(i -> {
            Job j = new Job("adapter-" + i, SENTENCES.get(ThreadLocalRandom.current().nextInt(SENTENCES.size())),
                    new CompletableFuture<>());
            queue.add(j);
            return j.done();
        }, n, duration);
        stop.set(true);
        server.join(TimeUnit.MINUTES.toMillis(2));
        return rate;
    }

    /** The naive way: read the adapter, merge it into copies of the weights it adapts, run the rows, drop the copies. */
    private void mergedForward(NDManager scope, byte[] compact, List<String> texts) throws java.io.IOException {
        AdapterWeights w = CompactFormat.read(compact, (CompactFormat.BankSource) ref -> bankFile);
        List<String> adapted = w.adaptedPaths().stream().map(p -> p + ".weight").toList();
        int seqLen = Math.min(MODEL.maxPositions(), SuiteEvaluator.recordedSeqLength(w));
        TextTokenizer tok = tokenizers.computeIfAbsent(seqLen, l -> TextTokenizer.forModel(MODEL, l));
        try (NDManager step = scope.newSubManager();
             EncoderWeights copies = tuner.baseWeights(MODEL).withCopiesOf(step, adapted);
             AdaptedEncoder merged = AdapterLoader.load(step, copies, w, FineTuner.poolingOf(MODEL))) {
            merged.merge();
            var padded = tok.pad(texts.stream().map(tok::encode).toArray(Encoding[]::new), Padding.LONGEST);
            merged.predict(step, new Batch(texts.size(), padded.length(), padded.inputIds(), padded.attentionMask(),
                    padded.tokenTypeIds(), null));
        }
    }

    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception ignored) {
            // not Linux: no RSS figure
        }
        return -1;
    }

    private static String rounds(com.fasterxml.jackson.databind.JsonNode values) {
        List<String> out = new ArrayList<>();
        values.forEach(v -> out.add(String.format(Locale.ROOT, "%.0f", v.asDouble())));
        return "(" + String.join(", ", out) + ")";
    }

    static String markdown(ObjectNode r) {
        StringBuilder md = new StringBuilder();
        md.append("| N adapters | saturation (inputs/s, median of rounds) | rows per forward | vs N=1 |"
                + " p50 / p99 at half saturation (ms) | rows per forward at half | naive merge-per-adapter (inputs/s) |"
                + " vs naive |\n").append("|---|---|---|---|---|---|---|---|\n");
        double single = Double.NaN;
        for (var row : r.path("rows")) {
            double sat = row.path("saturation_inputs_per_s").asDouble();
            if (row.path("adapters").asInt() == 1) {
                single = sat;
            }
            double naive = row.path("naive_inputs_per_s").asDouble();
            md.append(String.format(Locale.ROOT, "| %,d | %.1f %s | %.1f | %s | %.1f / %.1f | %.1f | %.1f %s | %.1f× |%n",
                    row.path("adapters").asInt(), sat, rounds(row.path("saturation_rounds")),
                    row.path("saturation_rows_per_batch").asDouble(),
                    Double.isNaN(single) ? "—" : String.format(Locale.ROOT, "%.2f×", sat / single),
                    row.path("half_p50_ms").asDouble(), row.path("half_p99_ms").asDouble(),
                    row.path("half_rows_per_batch").asDouble(), naive, rounds(row.path("naive_rounds")),
                    sat / naive));
        }
        md.append(String.format(Locale.ROOT, "%nCold adapter, first request (compact bytes read, composed, served; idle"
                        + " engine): p50 %.1f ms, p99 %.1f ms. Resident per cached adapter: %,d bytes of composed"
                        + " factors and head; process RSS grew %,d bytes per adapter while %,d were loaded.%n",
                r.path("cold_p50_ms").asDouble(), r.path("cold_p99_ms").asDouble(),
                r.path("resident_bytes_per_adapter").asLong(), r.path("rss_delta_per_adapter").asLong(),
                r.path("rss_adapters").asInt()));
        md.append(String.format(Locale.ROOT, "%nResident adapter state with %,d adapters cached%s: %,d bytes"
                        + " (%,d of them shared banks).%n", r.path("rss_adapters").asInt(),
                r.path("shared_bank").asBoolean() ? " (shared bank, packed: the bank once, each adapter its compact"
                        + " bytes; factors composed per batch)" : " (composed)",
                r.path("resident_adapter_state_bytes").asLong(), r.path("resident_bank_bytes").asLong()));
        md.append(String.format(Locale.ROOT, "%nLoad average before → after: `%s` → `%s`; %d cores, %d clients, %d s per"
                        + " figure in %d rounds.%n", r.path("load_before").asText(), r.path("load_after").asText(),
                r.path("cores").asInt(), r.path("clients").asInt(), r.path("seconds_per_phase").asInt(),
                r.path("rounds").asInt()));
        return md.toString();
    }
}
