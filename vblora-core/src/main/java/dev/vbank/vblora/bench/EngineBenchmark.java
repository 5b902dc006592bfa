package dev.vbank.vblora.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.method.HeadOnlyMethod;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Training-step time (forward + backward + AdamW) of a MiniLM-L6-shaped encoder with random weights for several adapter
 * setups sharing one frozen base, steps interleaved across setups so machine-load drift hits all alike. Prints a Markdown
 * table. Options: {@code --steps 10 --warmup 3 --batch 16 --seq 128 --threads 2 --configs vblora-qv,vblora-all,lora-qv,head-only}.
 */
public final class EngineBenchmark {

    private EngineBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        BenchArgs opts = BenchArgs.parse(args);
        int steps = opts.integer("steps", 10);
        int warmup = opts.integer("warmup", 3);
        int batchSize = opts.integer("batch", 16);
        int seqLen = opts.integer("seq", 128);
        String threads = opts.string("threads", "2");
        List<String> configs = opts.list("configs", "vblora-qv,vblora-all,lora-qv,head-only");
        // must be set before the engine starts
        System.setProperty("ai.djl.pytorch.num_threads", threads);
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");

        EncoderShape shape = EncoderShape.miniLmL6();
        try (NDManager root = Engine.getEngine("PyTorch").newBaseManager()) {
            EncoderWeights base = EncoderWeights.random(root, shape, 1);
            Batch batch = batch(new Random(2), batchSize, seqLen, shape.vocabSize());
            List<Setup> setups = new ArrayList<>();
            for (String name : configs) {
                setups.add(setup(root, base, name.strip()));
            }
            System.out.printf(Locale.ROOT, "engine %s, libtorch threads %s, batch %d x %d, %d warm-up + %d timed steps%n",
                    Engine.getEngine("PyTorch").getVersion(), threads, batchSize, seqLen, warmup, steps);
            for (int round = 0; round < warmup + steps; round++) {
                for (int i = 0; i < setups.size(); i++) {
                    Setup s = setups.get((i + round) % setups.size());
                    long t0 = System.nanoTime();
                    Trainer.StepResult r = s.trainer.step(batch);
                    long t1 = System.nanoTime();
                    if (!Float.isFinite(r.loss())) {
                        throw new IllegalStateException(s.name + ": loss not finite");
                    }
                    if (round >= warmup) {
                        s.millis.add((t1 - t0) / 1e6);
                    }
                }
                System.err.printf(Locale.ROOT, "round %d/%d done%n", round + 1, warmup + steps);
            }
            System.out.println();
            System.out.println("| setup | trainable params | median step (ms) | min step (ms) |");
            System.out.println("|---|---:|---:|---:|");
            for (Setup s : setups) {
                System.out.printf(Locale.ROOT, "| %s | %,d | %.0f | %.0f |%n", s.name, s.trainable, median(s.millis),
                        min(s.millis));
            }
            Setup vb = find(setups, "vblora-qv");
            Setup lora = find(setups, "lora-qv");
            if (vb != null && lora != null) {
                List<Double> perRound = new ArrayList<>();
                for (int i = 0; i < vb.millis.size(); i++) {
                    perRound.add(vb.millis.get(i) / lora.millis.get(i));
                }
                System.out.printf(Locale.ROOT, "%nVB-LoRA qv / LoRA r=8 qv step time: ratio of medians %.3f, of minima %.3f,"
                        + " median of per-round ratios %.3f%n", median(vb.millis) / median(lora.millis),
                        min(vb.millis) / min(lora.millis), median(perRound));
            }
            System.out.printf(Locale.ROOT, "peak RSS of this process: %s%n", peakRss());
            for (Setup s : setups) {
                s.optimizer.close();
                s.model.close();
            }
        }
    }

    private record Setup(String name, AdaptedEncoder model, AdamW optimizer, Trainer trainer, long trainable,
                         List<Double> millis) {
    }

    private static Setup setup(NDManager root, EncoderWeights base, String name) {
        AdaptedEncoder model;
        AdamW optimizer;
        // MiniLM is 384 wide, so the vector length must divide 384 and 1536: 128 (PEFT's default 256 does not fit)
        VbloraConfig vb = VbloraConfig.builder().numVectors(256).vectorLength(128).r(4).topk(2).targetModules("qv").build();
        switch (name) {
            case "vblora-qv", "vblora-all" -> {
                VbloraConfig cfg = name.equals("vblora-qv") ? vb : vb.withTargetModules(TargetModules.ALL_LINEAR);
                model = new VbloraMethod(cfg).create(root, base, 2, Pooling.MEAN, 3);
                optimizer = new AdamW(root, model.parameters(), AdamW.vbloraGroups(cfg.lrVectorBank(), cfg.lrLogits(),
                        cfg.lrHead(), cfg.weightDecayHead()), LrSchedule.linear(2, 1000), AdamW.Options.defaults());
            }
            case "lora-qv" -> {
                LoraConfig cfg = LoraConfig.defaults().withR(8).withDropout(0).withTargetModules(TargetModules.QV);
                model = new LoraMethod(cfg).create(root, base, 2, Pooling.MEAN, 3);
                optimizer = new AdamW(root, model.parameters(), AdamW.loraGroups(cfg.lrLora(), 0, cfg.lrHead(),
                        cfg.weightDecayHead()), LrSchedule.linear(2, 1000), AdamW.Options.defaults());
            }
            case "head-only" -> {
                model = HeadOnlyMethod.defaults().create(root, base, 2, Pooling.MEAN, 3);
                optimizer = new AdamW(root, model.parameters(), AdamW.loraGroups(1e-3, 0, 4e-3, 0.01),
                        LrSchedule.linear(2, 1000), AdamW.Options.defaults());
            }
            default -> throw new IllegalArgumentException("configs: unknown setup '" + name
                    + "' (vblora-qv, vblora-all, lora-qv, head-only)");
        }
        long trainable = model.parameters().stream().mapToLong(p -> p.array().size()).sum();
        return new Setup(name, model, optimizer, new Trainer(root, model, optimizer), trainable, new ArrayList<>());
    }

    private static Batch batch(Random random, int size, int seqLen, int vocab) {
        long[] ids = new long[size * seqLen];
        long[] mask = new long[size * seqLen];
        float[] labels = new float[size];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1000 + random.nextInt(vocab - 1000);
            mask[i] = 1;
        }
        for (int i = 0; i < size; i++) {
            labels[i] = i % 2;
        }
        return new Batch(size, seqLen, ids, mask, null, labels);
    }

    private static Setup find(List<Setup> setups, String name) {
        return setups.stream().filter(s -> s.name.equals(name)).findFirst().orElse(null);
    }

    private static double median(List<Double> xs) {
        return BenchArgs.median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static String peakRss() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return "n/a";
        }
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmHWM:"))
                .map(l -> l.substring("VmHWM:".length()).strip()).findFirst().orElse("n/a");
    }
}
