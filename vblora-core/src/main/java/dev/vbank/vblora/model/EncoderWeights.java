package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.layer.Init;
import dev.vbank.vblora.layer.OwnedArrays;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The frozen base weights of a BERT encoder as DJL arrays, keyed by HF name. They never require gradients; merging adapters
 * changes the linear weights in place. Several models may share one instance (one at a time per step).
 */
public final class EncoderWeights implements AutoCloseable {

    private final EncoderShape shape;
    private final NDManager manager;
    private final Map<String, NDArray> arrays;

    private EncoderWeights(EncoderShape shape, NDManager manager, Map<String, NDArray> arrays) {
        this.shape = shape;
        this.manager = manager;
        this.arrays = arrays;
    }

    /**
     * Copies HF-named fp32 tensors onto a new sub-manager of {@code parent}. Extra names (pooler, position_ids) are ignored;
     * a missing name or a wrong shape throws naming the weight.
     */
    public static EncoderWeights fromTensors(NDManager parent, EncoderShape shape, Map<String, Tensor> tensors) {
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : shape.weightShapes().entrySet()) {
                Tensor t = tensors.get(e.getKey());
                if (t == null) {
                    throw new IllegalArgumentException(e.getKey() + ": missing from the encoder weights");
                }
                if (!t.hasShape(e.getValue())) {
                    throw new IllegalArgumentException(e.getKey() + ": expected shape " + Arrays.toString(e.getValue())
                            + ", got " + t.shapeString());
                }
                arrays.put(e.getKey(), OwnedArrays.of(manager, t.data(), new Shape(e.getValue())));
            }
        } catch (RuntimeException ex) {
            manager.close();
            throw ex;
        }
        return new EncoderWeights(shape, manager, arrays);
    }

    /** Same as {@link #fromTensors} from plain arrays and shapes. */
    public static EncoderWeights fromArrays(NDManager parent, EncoderShape shape, Map<String, float[]> data,
                                            Map<String, long[]> shapes) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : data.entrySet()) {
            long[] s = shapes.get(e.getKey());
            if (s == null) {
                throw new IllegalArgumentException(e.getKey() + ": no shape given");
            }
            tensors.put(e.getKey(), new Tensor(s, e.getValue()));
        }
        return fromTensors(parent, shape, tensors);
    }

    /** Random weights with BERT's init (N(0, 0.02), LayerNorm 1/0, biases 0) for tests and benchmarks. */
    public static EncoderWeights random(NDManager parent, EncoderShape shape, long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shape.weightShapes().entrySet()) {
            String name = e.getKey();
            long n = Arrays.stream(e.getValue()).reduce(1, Math::multiplyExact);
            float[] data;
            if (name.contains("LayerNorm.weight")) {
                data = new float[(int) n];
                Arrays.fill(data, 1f);
            } else if (name.endsWith(".bias")) {
                data = new float[(int) n];
            } else {
                data = Init.normal(random, n, 0.02);
            }
            tensors.put(name, new Tensor(e.getValue(), data));
        }
        return fromTensors(parent, shape, tensors);
    }

    public EncoderShape shape() {
        return shape;
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException(name + ": no such encoder weight");
        }
        return a;
    }

    public Collection<NDArray> all() {
        return arrays.values();
    }

    /**
     * A view of these weights in which {@code names} are private copies on a new sub-manager of {@code parent} and every
     * other weight is shared: merging an adapter into the view leaves these weights (which other models may use)
     * untouched. Closing the view frees only the copies.
     */
    public EncoderWeights withCopiesOf(NDManager parent, Collection<String> names) {
        NDManager copies = parent.newSubManager();
        Map<String, NDArray> view = new LinkedHashMap<>(arrays);
        try {
            for (String name : names) {
                NDArray copy = get(name).duplicate();
                copy.attach(copies);
                view.put(name, copy);
            }
        } catch (RuntimeException e) {
            copies.close();
            throw e;
        }
        return new EncoderWeights(shape, copies, view);
    }

    /** A copy of one weight as a host tensor (e.g. to check that unmerging restored it). */
    public Tensor toTensor(String name) {
        NDArray a = get(name);
        return new Tensor(a.getShape().getShape(), a.toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
    }
}
