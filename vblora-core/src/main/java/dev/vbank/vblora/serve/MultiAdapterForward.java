package dev.vbank.vblora.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.BertEncoder;
import dev.vbank.vblora.model.ClassificationHead;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One encoder forward for a batch whose rows use different adapters of the same base model. The base linear layers run
 * once for all rows; at every adapted linear the factors of the batch's distinct adapters are stacked (ranks padded with
 * zeros), gathered per row and applied with two batched matmuls, so row i gets {@code x·Aᵢᵀ·Bᵢᵀ} of its own adapter.
 * No weights are merged or copied per adapter. Rows with a null adapter run the base model unchanged (embeddings).
 * <p>
 * Not thread-safe per base: the base weights are attached to the call's manager for its duration, so one thread at a
 * time may run forwards on one {@link EncoderWeights}.
 */
public final class MultiAdapterForward {

    /**
     * @param pooled (size × hidden) row-major pooled encoder outputs
     * @param heads  per row the adapter's head outputs, null for rows without an adapter
     */
    public record Output(int size, int hidden, float[] pooled, float[][] heads) {
        public float[] pooledRow(int row) {
            return java.util.Arrays.copyOfRange(pooled, row * hidden, (row + 1) * hidden);
        }
    }

    private MultiAdapterForward() {
    }

    /** Runs {@code batch}; {@code rowAdapters.get(i)} (nullable) serves row i. */
    public static Output run(NDManager parent, EncoderWeights base, Pooling pooling, Batch batch,
                             List<ComposedAdapter> rowAdapters) {
        if (rowAdapters.size() != batch.size()) {
            throw new IllegalArgumentException("adapters: " + rowAdapters.size() + " given for " + batch.size() + " rows");
        }
        Map<ComposedAdapter, Integer> slots = new IdentityHashMap<>();
        List<ComposedAdapter> groups = new ArrayList<>();
        long[] slotOfRow = new long[batch.size()];
        boolean anyWithout = false;
        for (int i = 0; i < batch.size(); i++) {
            ComposedAdapter a = rowAdapters.get(i);
            if (a == null) {
                anyWithout = true;
                slotOfRow[i] = -1;
            } else {
                slotOfRow[i] = slots.computeIfAbsent(a, k -> {
                    groups.add(k);
                    return groups.size() - 1;
                });
            }
        }
        for (int i = 0; i < slotOfRow.length; i++) {
            if (slotOfRow[i] < 0) {
                slotOfRow[i] = groups.size();
            }
        }
        int hidden = base.shape().hiddenSize();
        try (NDManager step = parent.newSubManager()) {
            attach(base.all(), step);
            for (ComposedAdapter g : groups) {
                for (ComposedAdapter.Factors f : g.factors().values()) {
                    attach(List.of(f.a(), f.b()), step);
                }
            }
            Shape shape = new Shape(batch.size(), batch.seqLen());
            NDArray ids = step.create(batch.inputIds(), shape);
            NDArray mask = step.create(batch.attentionMask(), shape);
            NDArray types = batch.tokenTypeIds() == null ? null : step.create(batch.tokenTypeIds(), shape);
            NDArray rowSlots = step.create(slotOfRow);
            Adapter.Pass pass = new GroupedPass(groups, anyWithout, rowSlots);
            NDArray states = BertEncoder.forward(base, pass, ids, mask, types);
            float[] pooled = ClassificationHead.pool(states, mask, pooling).toFloatArray();
            float[][] heads = new float[batch.size()][];
            for (int i = 0; i < batch.size(); i++) {
                ComposedAdapter a = rowAdapters.get(i);
                heads[i] = a == null ? null : a.head(pooled, i * hidden);
            }
            return new Output(batch.size(), hidden, pooled, heads);
        }
    }

    private static void attach(Iterable<NDArray> arrays, NDManager step) {
        for (NDArray a : arrays) {
            if (a.getManager() != step) {
                a.tempAttach(step);
            }
        }
    }

    /** The per-row low-rank update at every linear layer of one forward. */
    private static final class GroupedPass implements Adapter.Pass {
        private final List<ComposedAdapter> groups;
        private final Set<String> adapted;
        private final boolean zeroSlot;
        private final NDArray rowSlots;

        GroupedPass(List<ComposedAdapter> groups, boolean zeroSlot, NDArray rowSlots) {
            this.groups = groups;
            this.adapted = groups.stream().flatMap(g -> g.factors().keySet().stream()).collect(Collectors.toSet());
            this.zeroSlot = zeroSlot;
            this.rowSlots = rowSlots;
        }

        @Override
        public boolean adapts(String modulePath) {
            return adapted.contains(modulePath);
        }

        @Override
        public NDArray addUpdate(String modulePath, NDArray x, NDArray out) {
            int maxRank = 0;
            int present = 0;
            for (ComposedAdapter g : groups) {
                ComposedAdapter.Factors f = g.factors().get(modulePath);
                if (f != null) {
                    maxRank = Math.max(maxRank, f.rank());
                    present++;
                }
            }
            if (present == 0) {
                return out;
            }
            if (groups.size() == 1 && !zeroSlot) {
                ComposedAdapter.Factors f = groups.get(0).factors().get(modulePath);
                NDArray down = Linear.linear(x, f.a()).singletonOrThrow();
                return out.addi(Linear.linear(down, f.b()).singletonOrThrow());
            }
            long in = x.getShape().getLastDimension();
            long outFeatures = out.getShape().getLastDimension();
            NDList as = new NDList();
            NDList bs = new NDList();
            NDManager m = x.getManager();
            for (ComposedAdapter g : groups) {
                ComposedAdapter.Factors f = g.factors().get(modulePath);
                if (f == null) {
                    as.add(m.zeros(new Shape(maxRank, in)));
                    bs.add(m.zeros(new Shape(outFeatures, maxRank)));
                } else if (f.rank() < maxRank) {
                    as.add(f.a().concat(m.zeros(new Shape(maxRank - f.rank(), in)), 0));
                    bs.add(f.b().concat(m.zeros(new Shape(outFeatures, maxRank - f.rank())), 1));
                } else {
                    as.add(f.a());
                    bs.add(f.b());
                }
            }
            if (zeroSlot) {
                as.add(m.zeros(new Shape(maxRank, in)));
                bs.add(m.zeros(new Shape(outFeatures, maxRank)));
            }
            NDArray aRows = NDArrays.stack(as).get(rowSlots);
            NDArray bRows = NDArrays.stack(bs).get(rowSlots);
            NDArray down = x.matMul(aRows.transpose(0, 2, 1));
            return out.addi(down.matMul(bRows.transpose(0, 2, 1)));
        }
    }
}
