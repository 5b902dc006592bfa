package dev.vbank.artifacts.adapters;

import dev.vbank.service.error.Conflict;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Base weights with each adapted Linear's ΔW (B·A, scaled for LoRA) added, plus the adapter's head tensors. */
public final class Merger {
    private Merger() {
    }

    public static Map<String, FloatTensor> merge(AdapterWeights adapter, Map<String, FloatTensor> base) {
        Map<String, FloatTensor> out = new LinkedHashMap<>(base);
        for (String path : adapter.adaptedPaths()) {
            String name = path + ".weight";
            FloatTensor w = base.get(name);
            if (w == null) {
                throw new Conflict("adapter_base_mismatch", "the base model has no weight " + name
                        + " for the adapted module " + path, "format");
            }
            Tensor delta = adapter.deltaWeight(path);
            int[] shape = w.shape();
            if (shape.length != 2 || delta.dim(0) != shape[0] || delta.dim(1) != shape[1]) {
                throw new Conflict("adapter_base_mismatch", "module " + path + ": ΔW " + delta.shapeString()
                        + " does not fit the base weight " + Arrays.toString(shape), "format");
            }
            float[] sum = w.data().clone();
            float[] d = delta.data();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += d[i];
            }
            out.put(name, new FloatTensor(name, shape, sum));
        }
        for (Map.Entry<String, Tensor> h : adapter.head().entrySet()) {
            long[] s = h.getValue().shape();
            int[] shape = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                shape[i] = Math.toIntExact(s[i]);
            }
            out.put(h.getKey(), new FloatTensor(h.getKey(), shape, h.getValue().data()));
        }
        return out;
    }
}
