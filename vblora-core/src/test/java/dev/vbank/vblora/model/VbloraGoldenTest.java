package dev.vbank.vblora.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.LowRank;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.TopK;
import dev.vbank.vblora.layer.TopkSelection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the production path, {@link VbloraAdapter} on one adapted module (the adapter training, inference and merging
 * use), against every float64 golden case in {@code vbank.golden.dir}: A, B, ΔW, y, the gradients of bank / logits / x
 * for loss = sum(y · grad_output), and the top-k selection.
 */
class VbloraGoldenTest {

    private static final double TOLERANCE = 1e-5;
    private static final String DEFAULT_DIR = "../shared/reference/vblora-golden";
    /** The one adapted module of each case (a query projection, so the default target modules pick it). */
    private static final String PATH = "encoder.layer.0.attention.self.query";

    @TestFactory
    Stream<DynamicTest> everyGoldenCaseMatches() throws IOException {
        Path dir = goldenDir();
        if (!Files.isDirectory(dir)) {
            String why = "golden VB-LoRA cases not found (vbank.golden.dir=" + System.getProperty("vbank.golden.dir")
                    + ", resolved " + dir + "): skipping the golden comparison";
            // a dynamic test that aborts shows up as skipped, with the reason, in the surefire report
            return Stream.of(DynamicTest.dynamicTest("golden directory absent", () -> Assumptions.abort(why)));
        }
        List<Path> cases;
        try (Stream<Path> files = Files.list(dir)) {
            cases = files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        assertThat(cases).as("*.json golden cases in " + dir).isNotEmpty();
        return cases.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(p)));
    }

    /** The property as given (absolute, or relative to the working dir or the repository root), else the default. */
    static Path goldenDir() {
        String configured = System.getProperty("vbank.golden.dir");
        String spec = configured == null || configured.isBlank() ? DEFAULT_DIR : configured;
        Path p = Path.of(spec);
        if (p.isAbsolute()) {
            return p.normalize();
        }
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> candidates = new ArrayList<>();
        candidates.add(cwd.resolve(p));
        Path root = repositoryRoot(cwd);
        if (root != null) {
            candidates.add(root.resolve(p));
        }
        for (Path c : candidates) {
            if (Files.isDirectory(c)) {
                return c.normalize();
            }
        }
        return candidates.get(candidates.size() - 1).normalize();
    }

    private static Path repositoryRoot(Path from) {
        for (Path d = from; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".mvn")) || Files.isDirectory(d.resolve(".git"))) {
                return d;
            }
        }
        return null;
    }

    private static void check(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode cfg = root.get("config");
        JsonNode in = root.get("inputs");
        JsonNode ex = root.get("expected");
        int topk = cfg.get("topk").asInt();
        int vectorLength = cfg.get("vector_length").asInt();
        int r = cfg.get("r").asInt();

        int inFeatures = cfg.get("in_features").asInt();
        int outFeatures = cfg.get("out_features").asInt();
        VbloraConfig config = VbloraConfig.builder().numVectors(cfg.get("num_vectors").asInt())
                .vectorLength(vectorLength).r(r).topk(topk).targetModules("qv").build();
        Map<String, Tensor> state = Map.of(VbloraAdapter.BANK, host(in.get("vector_bank")),
                VbloraAdapter.logitsAName(PATH), host(in.get("logits_A")),
                VbloraAdapter.logitsBName(PATH), host(in.get("logits_B")));

        checkHostTwin(state, topk, ex);
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
             VbloraAdapter adapter = VbloraAdapter.fromState(manager, config, List.of(new ModuleShape(PATH, inFeatures, outFeatures)),
                     state)) {
            NDArray weight = tensor(manager, in.get("weight"));
            NDArray bias = tensor(manager, in.get("bias"));
            NDArray x = tensor(manager, in.get("x"));
            NDArray gradOutput = tensor(manager, in.get("grad_output"));
            x.setRequiresGradient(true);

            NDArray y;
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                y = adapter.begin(true).addUpdate(PATH, x, Linear.linear(x, weight, bias).singletonOrThrow());
                collector.backward(y.mul(gradOutput).sum());
            }
            NDArray[] ab = adapter.factors(PATH);
            try (NDArray a = ab[0]; NDArray b = ab[1]; NDArray dw = adapter.deltaWeight(PATH)) {
                assertClose("A", a, ex.get("A"));
                assertClose("B", b, ex.get("B"));
                assertClose("delta_weight", dw, ex.get("delta_weight"));
            }
            assertClose("y", y, ex.get("y"));
            assertClose("grad_vector_bank", adapter.bank().getGradient(), ex.get("grad_vector_bank"));
            // the packed logits hold logits_A's r·in/b rows, then logits_B's
            long rowsA = (long) r * (inFeatures / vectorLength);
            try (NDArray grads = adapter.packedLogits().getGradient()) {
                assertClose("grad_logits_A", grads.get(new NDIndex("0:{}", rowsA)).reshape(shape(in.get("logits_A"))),
                        ex.get("grad_logits_A"));
                assertClose("grad_logits_B", grads.get(new NDIndex("{}:", rowsA)).reshape(shape(in.get("logits_B"))),
                        ex.get("grad_logits_B"));
            }
            assertClose("grad_x", x.getGradient(), ex.get("grad_x"));

            TopkSelection selA = adapter.topkA(PATH);
            TopkSelection selB = adapter.topkB(PATH);
            assertTopk("A", selA, ex.get("topk_indices_A"), ex.get("topk_weights_A"));
            assertTopk("B", selB, ex.get("topk_indices_B"), ex.get("topk_weights_B"));
            if (ex.has("num_subvectors")) {
                assertThat(selA.numSubvectors() + selB.numSubvectors()).as("num_subvectors")
                        .isEqualTo(ex.get("num_subvectors").asInt());
            }
        }
    }

    /** The host twin the DJL-free artifact service merges with, on the same case. */
    private static void checkHostTwin(Map<String, Tensor> state, int topk, JsonNode ex) {
        Tensor bank = state.get(VbloraAdapter.BANK);
        Tensor a = LowRank.composeA(TopK.fromLogits(state.get(VbloraAdapter.logitsAName(PATH)), topk), bank);
        Tensor b = LowRank.composeB(TopK.fromLogits(state.get(VbloraAdapter.logitsBName(PATH)), topk), bank);
        assertHostClose("host A", a, ex.get("A"));
        assertHostClose("host B", b, ex.get("B"));
        assertHostClose("host delta_weight", LowRank.delta(a, b, 1f), ex.get("delta_weight"));
    }

    private static void assertHostClose(String name, Tensor ours, JsonNode expected) {
        assertThat(ours.shape()).as(name + " shape").containsExactly(shape(expected).getShape());
        double[] d = new double[ours.numel()];
        for (int i = 0; i < d.length; i++) {
            d[i] = ours.data()[i];
        }
        assertRelative(name, d, data(expected));
    }

    private static Tensor host(JsonNode node) {
        double[] d = data(node);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return new Tensor(shape(node).getShape(), f);
    }

    private static void assertTopk(String which, TopkSelection sel, JsonNode indices, JsonNode weights) {
        assertThat(sel.shape()).as("topk_indices_" + which + " shape").containsExactly(shape(indices).getShape());
        long[] expectedIdx = new long[indices.get("data").size()];
        for (int i = 0; i < expectedIdx.length; i++) {
            expectedIdx[i] = indices.get("data").get(i).asLong();
        }
        assertThat(sel.indices()).as("topk_indices_" + which).containsExactly(expectedIdx);
        double[] w = new double[sel.weights().length];
        for (int i = 0; i < w.length; i++) {
            w[i] = sel.weights()[i];
        }
        assertRelative("topk_weights_" + which, w, data(weights));
    }

    private static void assertClose(String name, NDArray ours, JsonNode expected) {
        assertThat(ours.getShape()).as(name + " shape").isEqualTo(shape(expected));
        float[] f = ours.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        assertRelative(name, d, data(expected));
    }

    /** ‖ours − expected‖ / ‖expected‖ ≤ 1e-5; an all-zero expectation (k = 1 logits gradients) must be met absolutely. */
    private static void assertRelative(String name, double[] ours, double[] expected) {
        assertThat(ours.length).as(name + " length").isEqualTo(expected.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ours.length; i++) {
            assertThat(Double.isFinite(ours[i])).as(name + "[" + i + "] finite").isTrue();
            diff += (ours[i] - expected[i]) * (ours[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        diff = Math.sqrt(diff);
        norm = Math.sqrt(norm);
        if (norm == 0) {
            assertThat(diff).as(name + " absolute error (expected all zeros)").isLessThanOrEqualTo(TOLERANCE);
        } else {
            assertThat(diff / norm).as(name + " relative error").isLessThanOrEqualTo(TOLERANCE);
        }
    }

    private static NDArray tensor(NDManager manager, JsonNode node) {
        double[] d = data(node);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return manager.create(f, shape(node));
    }

    private static Shape shape(JsonNode node) {
        JsonNode s = node.get("shape");
        long[] dims = new long[s.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = s.get(i).asLong();
        }
        return new Shape(dims);
    }

    private static double[] data(JsonNode node) {
        JsonNode arr = node.get("data");
        double[] d = new double[arr.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = arr.get(i).asDouble();
        }
        return d;
    }
}
