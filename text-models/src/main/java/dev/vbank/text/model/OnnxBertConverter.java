package dev.vbank.text.model;

import dev.vbank.text.onnx.OnnxFormatException;
import dev.vbank.text.onnx.OnnxModel;
import dev.vbank.text.onnx.OnnxModel.Initializer;
import dev.vbank.text.onnx.OnnxModel.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an exported BERT ONNX graph into Hugging Face-named fp32 tensors.
 *
 * <p>The PyTorch exporter keeps the names of biases, LayerNorms and embeddings but stores each Linear weight as an
 * anonymous {@code onnx::MatMul_N} initializer laid out [in, out]. The name is recovered from the graph: the MatMul's
 * output feeds an Add whose other input is the named bias ({@code ...query.bias} gives {@code ...query.weight}), and
 * the values are transposed to the [out, in] layout of {@code nn.Linear}. Non-float initializers (position_ids) are
 * buffers, not weights, and are left out.
 */
public final class OnnxBertConverter {
    private OnnxBertConverter() {}

    public static Map<String, FloatTensor> convert(OnnxModel onnx, BaseModel model) {
        Map<String, List<Node>> consumers = new HashMap<>();
        for (Node n : onnx.nodes()) {
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        Map<String, Initializer> inits = onnx.initializers();
        Map<String, FloatTensor> found = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();

        for (Node n : onnx.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
                continue;
            }
            Initializer w = inits.get(n.inputs().get(1));
            if (w == null) {
                continue; // activation x activation (attention scores)
            }
            String weightName = linearName(n, consumers, inits, problems);
            if (weightName == null) {
                continue;
            }
            if (w.dims().length != 2) {
                problems.add(w.name() + " (" + weightName + ") has dims " + Arrays.toString(w.dims()) + ", expected 2-D");
                continue;
            }
            FloatTensor t = transpose(weightName, (int) w.dims()[0], (int) w.dims()[1], w.floats());
            if (found.put(weightName, t) != null) {
                problems.add("two MatMuls resolve to " + weightName);
            }
        }

        for (Initializer init : inits.values()) {
            if (init.dataType() != OnnxModel.FLOAT || init.name().startsWith("onnx::")) {
                continue;
            }
            String name = stripPrefix(init.name());
            int[] shape = Arrays.stream(init.dims()).mapToInt(Math::toIntExact).toArray();
            if (found.put(name, new FloatTensor(name, shape, init.floats())) != null) {
                problems.add("initializer " + init.name() + " clashes with a recovered name");
            }
        }

        Map<String, int[]> expected = BertNames.expectedShapes(model);
        Map<String, FloatTensor> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            FloatTensor t = found.remove(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", " + model.id() + " needs " + Arrays.toString(e.getValue()));
            } else {
                ordered.put(e.getKey(), t);
            }
        }
        for (String extra : found.keySet()) {
            if (!extra.startsWith("pooler.")) {
                problems.add("unexpected tensor " + extra);
            }
        }
        for (Initializer init : inits.values()) {
            if (init.dataType() == OnnxModel.FLOAT && init.name().startsWith("onnx::") && !isMatMulWeight(init.name(), onnx)) {
                problems.add("anonymous float initializer " + init.name() + " is not a MatMul weight; cannot name it");
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxFormatException("cannot convert " + model.id() + " (" + problems.size() + " problems): "
                    + String.join("; ", problems.subList(0, Math.min(20, problems.size()))));
        }
        return ordered;
    }

    private static String linearName(Node matmul, Map<String, List<Node>> consumers, Map<String, Initializer> inits,
                                     List<String> problems) {
        String out = matmul.outputs().get(0);
        for (Node add : consumers.getOrDefault(out, List.of())) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String in : add.inputs()) {
                if (!in.equals(out) && inits.containsKey(in) && in.endsWith(".bias")) {
                    String bias = stripPrefix(in);
                    return bias.substring(0, bias.length() - ".bias".length()) + ".weight";
                }
            }
        }
        problems.add("MatMul " + matmul.name() + " (weight " + matmul.inputs().get(1)
                + ") feeds no Add with a named bias");
        return null;
    }

    private static boolean isMatMulWeight(String init, OnnxModel onnx) {
        for (Node n : onnx.nodes()) {
            if (n.opType().equals("MatMul") && n.inputs().size() == 2 && n.inputs().get(1).equals(init)) {
                return true;
            }
        }
        return false;
    }

    /** Exports from BertForX / wrapped models prefix names with "bert." or "model."; the encoder wants bare names. */
    static String stripPrefix(String name) {
        for (String p : List.of("bert.", "model.")) {
            if (name.startsWith(p)) {
                return name.substring(p.length());
            }
        }
        return name;
    }

    /** [rows, cols] row-major in, [cols, rows] row-major out. */
    static FloatTensor transpose(String name, int rows, int cols, float[] src) {
        float[] dst = new float[src.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                dst[c * rows + r] = src[base + c];
            }
        }
        return new FloatTensor(name, new int[] {cols, rows}, dst);
    }
}
