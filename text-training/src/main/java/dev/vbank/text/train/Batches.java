package dev.vbank.text.train;

import dev.vbank.text.data.TaskType;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.tokenize.Batch;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Splits a dataset into tokenized, padded batches with their labels, in a seeded order per epoch (or in file order for
 * evaluation). The last batch may be smaller. Texts are tokenized when their batch is built, so memory stays at one batch.
 */
public final class Batches {
    /**
     * One batch and its labels as floats (class index for classification, target for regression) — the layout of
     * vblora-core's {@code Batch}; {@code lines} are the rows' source lines, for error reports.
     */
    public record LabeledBatch(Batch batch, float[] labels, long[] lines) {}

    private final Dataset data;
    private final TextTokenizer tokenizer;
    private final int batchSize;
    private final Padding padding;

    public Batches(Dataset data, TextTokenizer tokenizer, int batchSize, Padding padding) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.data = data;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.padding = padding;
    }

    public int batchesPerEpoch() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Rows in batch {@code index} of an epoch (the last one may be short). */
    public int rowsInBatch(int index) {
        if (index < 0 || index >= batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
        }
        return Math.min(batchSize, data.size() - index * batchSize);
    }

    /** Rows shuffled by (seed, epoch): reproducible, different every epoch. */
    public Iterable<LabeledBatch> epoch(long seed, int epoch) {
        return epoch(seed, epoch, 0);
    }

    /** The same order as {@link #epoch(long, int)}, starting at batch {@code fromBatch} (resuming mid-epoch). */
    public Iterable<LabeledBatch> epoch(long seed, int epoch, int fromBatch) {
        if (fromBatch < 0 || fromBatch > batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + fromBatch + " of " + batchesPerEpoch());
        }
        List<Integer> order = new ArrayList<>(IntStream.range(0, data.size()).boxed().toList());
        java.util.Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        List<Integer> rest = order.subList(Math.min(order.size(), fromBatch * batchSize), order.size());
        return () -> iterate(rest);
    }

    /** Rows in dataset order (evaluation). */
    public Iterable<LabeledBatch> inOrder() {
        List<Integer> order = IntStream.range(0, data.size()).boxed().toList();
        return () -> iterate(order);
    }

    private Iterator<LabeledBatch> iterate(List<Integer> order) {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < order.size();
            }

            @Override
            public LabeledBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int end = Math.min(order.size(), next + batchSize);
                List<Integer> rows = order.subList(next, end);
                next = end;
                return build(rows);
            }
        };
    }

    private LabeledBatch build(List<Integer> rows) {
        Encoding[] enc = new Encoding[rows.size()];
        float[] labels = new float[rows.size()];
        long[] lines = new long[rows.size()];
        for (int i = 0; i < enc.length; i++) {
            Dataset.Row r = data.rows().get(rows.get(i));
            enc[i] = r.textB() == null ? tokenizer.encode(r.textA()) : tokenizer.encodePair(r.textA(), r.textB());
            labels[i] = data.task() == TaskType.CLASSIFICATION ? r.label() : (float) r.target();
            lines[i] = r.line();
        }
        return new LabeledBatch(tokenizer.pad(enc, padding), labels, lines);
    }
}
