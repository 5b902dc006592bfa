package dev.vbank.text.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A resumable training state as plain files in one directory (the worker uploads them as they are):
 * <ul>
 *   <li>{@value #MODEL}: adapter + head tensors (fp32, the engine's state names);</li>
 *   <li>{@value #OPTIMIZER}: AdamW first and second moments ({@code <param>.exp_avg}, {@code <param>.exp_avg_sq});</li>
 *   <li>{@value #BEST}: the best-evaluated adapter + head so far (absent until an evaluation ran);</li>
 *   <li>{@value #STATE}: optimizer step, data position (micro-batches consumed, epoch, batch in epoch), seed and RNG
 *       scheme, per-step losses, evaluations, best step, and the spec that produced it.</li>
 * </ul>
 * RNG state is fully determined by (seed, position): libtorch's generator is reseeded before every micro-batch from
 * (seed, micro-batch index), and the data order of epoch e is a shuffle seeded by (seed, e).
 */
public record Checkpoint(long step, long microBatches, int epoch, int batchInEpoch, long seed, List<Float> losses,
                         List<StepEvaluation> evaluations, StepEvaluation best, JsonNode spec,
                         Map<String, Tensor> model, Map<String, Tensor> optimizer, Map<String, Tensor> bestModel) {

    public static final String FORMAT = "vbank-checkpoint/1";
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String BEST = "best_model.safetensors";
    public static final String STATE = "trainer_state.json";
    public static final String RNG_SCHEME = "libtorch reseeded per micro-batch from (seed, micro-batch index); "
            + "epoch e order = shuffle seeded by (seed, e)";

    /** An evaluation and the optimizer step after which it ran. */
    public record StepEvaluation(long step, Evaluation evaluation) {
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    /** Writes into {@code dir} (created), through a temporary sibling moved into place, so a crash leaves no half state. */
    public void write(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, dir.getFileName() + ".tmp");
        Safetensors.write(tmp.resolve(MODEL), Map.of("format", FORMAT, "step", Long.toString(step)), entries(model));
        Safetensors.write(tmp.resolve(OPTIMIZER), Map.of("format", FORMAT, "step", Long.toString(step)),
                entries(optimizer));
        if (bestModel != null) {
            Safetensors.write(tmp.resolve(BEST), Map.of("format", FORMAT, "step", Long.toString(best.step())),
                    entries(bestModel));
        }
        ObjectNode s = JSON.createObjectNode();
        s.put("format", FORMAT);
        s.put("step", step);
        s.put("micro_batches", microBatches);
        s.put("epoch", epoch);
        s.put("batch_in_epoch", batchInEpoch);
        s.put("seed", seed);
        s.put("rng", RNG_SCHEME);
        ArrayNode l = s.putArray("losses");
        losses.forEach(l::add);
        s.set("evaluations", JSON.valueToTree(evaluations));
        s.set("best", best == null ? null : JSON.valueToTree(best));
        s.set("spec", spec);
        Files.writeString(tmp.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    }

    public static Checkpoint read(Path dir) throws IOException {
        JsonNode s = JSON.readTree(Files.readString(dir.resolve(STATE)));
        if (!FORMAT.equals(s.path("format").asText())) {
            throw new IOException(dir.resolve(STATE) + ": not a " + FORMAT + " checkpoint");
        }
        List<Float> losses = new ArrayList<>();
        s.get("losses").forEach(n -> losses.add(n.floatValue()));
        List<StepEvaluation> evals = new ArrayList<>();
        for (JsonNode n : s.get("evaluations")) {
            evals.add(JSON.treeToValue(n, StepEvaluation.class));
        }
        JsonNode b = s.get("best");
        StepEvaluation best = b == null || b.isNull() ? null : JSON.treeToValue(b, StepEvaluation.class);
        Path bestFile = dir.resolve(BEST);
        long step = s.get("step").asLong();
        Map<String, Tensor> model = tensors(dir.resolve(MODEL));
        Map<String, Tensor> optimizer = tensors(dir.resolve(OPTIMIZER));
        if (losses.size() != step) {
            throw new IOException(dir + ": " + losses.size() + " losses for step " + step);
        }
        return new Checkpoint(step, s.get("micro_batches").asLong(), s.get("epoch").asInt(),
                s.get("batch_in_epoch").asInt(), s.get("seed").asLong(), losses, evals, best, s.get("spec"), model,
                optimizer, Files.exists(bestFile) ? tensors(bestFile) : null);
    }

    private static List<Safetensors.Entry> entries(Map<String, Tensor> tensors) {
        List<Safetensors.Entry> out = new ArrayList<>();
        tensors.forEach((k, v) -> out.add(Safetensors.Entry.f32(k, v)));
        return out;
    }

    private static Map<String, Tensor> tensors(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Safetensors.read(file).tensors().forEach((k, v) -> out.put(k, v.toTensor()));
        return out;
    }

    static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
