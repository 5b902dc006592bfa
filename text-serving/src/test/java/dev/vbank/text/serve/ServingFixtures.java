package dev.vbank.text.serve;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.method.HeadOnlyMethod;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Adapters for serving tests: briefly trained by the {@link FineTuner}, or initialised by the engine with a bank (VB-LoRA)
 * or B (LoRA) large enough that every adapter visibly changes the encoder's output.
 */
final class ServingFixtures {

    static final List<String> TEXTS = List.of("great product, works as described", "terrible, it broke after a day",
            "I would buy it again", "the battery does not hold a charge at all", "fine", "not worth the money",
            "excellent sound and a long cable", "arrived late and scratched", "does what it says on the box",
            "customer service never answered", "five stars", "it is okay I guess but the manual is confusing");

    private ServingFixtures() {
    }

    static Dataset sentiment() {
        List<Dataset.Row> rows = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            rows.add(new Dataset.Row(TEXTS.get(i), null, i % 2 == 0 ? 1 : 0, Double.NaN, i + 1));
        }
        return new Dataset(TaskType.CLASSIFICATION, List.of("negative", "positive"), false, rows);
    }

    /** A VB-LoRA adapter trained for a few steps on {@link #sentiment()}, as compact bytes. */
    static byte[] trained(FineTuner tuner, BaseModel model, Method method, Path dir) throws Exception {
        TrainingSpec spec = TrainingSpec.builder(model.id()).method(method).maxSteps(3).batchSize(4).maxSeqLength(32)
                .warmupRatio(0).seed(5).build();
        return Files.readAllBytes(tuner.run(spec, sentiment(), null, dir, FineTuner.RunOptions.defaults())
                .adapterFile());
    }

    static byte[] vblora(NDManager m, EncoderWeights base, BaseModel model, VbloraConfig config, List<String> labels,
                         long seed) {
        int outputs = labels.isEmpty() ? 1 : labels.size();
        try (AdaptedEncoder e = new VbloraMethod(config).create(m, base, outputs, Pooling.MEAN, seed)) {
            Map<String, Tensor> state = new LinkedHashMap<>(e.exportState());
            Tensor bank = state.get(AdapterStates.BANK);
            float[] scaled = bank.data().clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= 25f;
            }
            state.put(AdapterStates.BANK, new Tensor(bank.shape(), scaled));
            state.putAll(largerHead(state, seed));
            return CompactFormat.write(AdapterStates.vblora(config, state, meta(model, labels)),
                    CompactFormat.Options.FP32);
        }
    }

    static byte[] lora(NDManager m, EncoderWeights base, BaseModel model, LoraConfig config, List<String> labels,
                       long seed) {
        int outputs = labels.isEmpty() ? 1 : labels.size();
        try (AdaptedEncoder e = new LoraMethod(config).create(m, base, outputs, Pooling.MEAN, seed)) {
            Map<String, Tensor> state = new LinkedHashMap<>(e.exportState());
            Random random = new Random(seed);
            for (Map.Entry<String, Tensor> s : List.copyOf(state.entrySet())) {
                if (s.getKey().endsWith(AdapterStates.LORA_B)) {
                    float[] b = new float[s.getValue().numel()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (float) (0.05 * random.nextGaussian());
                    }
                    state.put(s.getKey(), new Tensor(s.getValue().shape(), b));
                }
            }
            state.putAll(largerHead(state, seed));
            return CompactFormat.write(AdapterStates.lora(config, state, meta(model, labels)),
                    CompactFormat.Options.FP32);
        }
    }

    static byte[] headOnly(NDManager m, EncoderWeights base, BaseModel model, List<String> labels, long seed) {
        try (AdaptedEncoder e = new HeadOnlyMethod(4e-3, 0.01).create(m, base, labels.size(), Pooling.MEAN, seed)) {
            Map<String, Tensor> state = new LinkedHashMap<>(e.exportState());
            state.putAll(largerHead(state, seed));
            return CompactFormat.write(AdapterStates.headOnly(state, meta(model, labels)), CompactFormat.Options.FP32);
        }
    }

    static VbloraConfig vbloraConfig(String targets, int r, int topk) {
        return VbloraConfig.builder().numVectors(90).vectorLength(128).r(r).topk(topk)
                .targetModules(TargetModules.parse(targets)).build();
    }

    static LoraConfig loraConfig(String targets, int r) {
        return LoraConfig.defaults().withR(r).withTargetModules(TargetModules.parse(targets));
    }

    private static Map<String, Tensor> largerHead(Map<String, Tensor> state, long seed) {
        Tensor w = state.get("classifier.weight");
        Random random = new Random(seed * 31 + 7);
        float[] d = new float[w.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (0.5 * random.nextGaussian());
        }
        return Map.of("classifier.weight", new Tensor(w.shape(), d));
    }

    private static AdapterStates.Meta meta(BaseModel model, List<String> labels) {
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put(FineTuner.TASK, labels.isEmpty() ? "regression" : "classification");
        provenance.put(FineTuner.MAX_SEQ_LENGTH, "64");
        return new AdapterStates.Meta(model.id(), model.weightsSha256(), "SEQ_CLS", labels, provenance);
    }
}
