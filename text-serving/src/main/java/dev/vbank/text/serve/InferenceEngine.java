package dev.vbank.text.serve;

import dev.vbank.text.model.BaseModel;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.serve.ComposedAdapter;
import dev.vbank.vblora.serve.MultiAdapterForward;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Serves many adapters of shared base models at once. Callers tokenize on their own thread ({@link #prepare}) and
 * {@link #submit} rows; one engine thread collects what arrives within the batching window (or until a batch is full),
 * groups it by base model and runs each group through {@link MultiAdapterForward}: one base forward, every row with its
 * own adapter. Base weights are loaded once per model (through the {@link FineTuner}, as the worker does) and the engine
 * thread is their only user.
 * <p>
 * A submitted adapter is referenced until its rows ran, so a caller that gives up waiting may release its own reference.
 */
public final class InferenceEngine implements AutoCloseable {

    /** One input: a text, or a pair ({@code textB} non-null). */
    public record Input(String textA, String textB) {
        public static Input of(String text) {
            return new Input(text, null);
        }

        public int chars() {
            return textA.length() + (textB == null ? 0 : textB.length());
        }
    }

    /** Tokenized inputs and their usage: tokens after truncation, inputs that were truncated. */
    public record Prepared(BaseModel baseModel, List<Encoding> rows, long tokens, int truncated, int maxLength,
                           TextTokenizer tokenizer) {
    }

    /** One row's result: the pooled encoder output and, with an adapter, its head's outputs. */
    public record RowResult(float[] embedding, float[] head) {
    }

    private record Pending(BaseModel baseModel, ServedAdapter adapter, Prepared prepared,
                           CompletableFuture<List<RowResult>> result) {
    }

    private record Row(Pending pending, int index, Encoding encoding) {
    }

    private static final Pending STOP = new Pending(null, null, null, null);

    private final FineTuner tuner;
    private final long windowNanos;
    private final int maxBatchRows;
    private final NDManager root;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, TextTokenizer> tokenizers = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile long batches;
    private volatile long rowsServed;

    public InferenceEngine(FineTuner tuner, Duration window, int maxBatchRows) {
        if (maxBatchRows < 1) {
            throw new IllegalArgumentException("max-batch-rows: must be >= 1, was " + maxBatchRows);
        }
        if (window.isNegative()) {
            throw new IllegalArgumentException("batch-window: must not be negative, was " + window);
        }
        this.tuner = tuner;
        this.windowNanos = window.toNanos();
        this.maxBatchRows = maxBatchRows;
        this.root = Engine.getEngine("PyTorch").newBaseManager(tuner.device());
        this.thread = new Thread(this::loop, "inference-engine");
        thread.setDaemon(true);
        thread.start();
    }

    /** The manager adapters for this engine are composed on. */
    public NDManager manager() {
        return root;
    }

    /**
     * Tokenizes {@code inputs} for {@code baseModel} at {@code maxLength} tokens (longer inputs are truncated, longest
     * text first for pairs), with the model card's text prefix.
     */
    public Prepared prepare(BaseModel baseModel, int maxLength, List<Input> inputs) {
        TextTokenizer tok = tokenizers.computeIfAbsent(baseModel.id() + "@" + maxLength,
                k -> TextTokenizer.forModel(baseModel, maxLength));
        String prefix = baseModel.textPrefix();
        List<Encoding> rows = new ArrayList<>(inputs.size());
        long tokens = 0;
        int truncated = 0;
        for (Input in : inputs) {
            Encoding e = in.textB() == null ? tok.encode(prefix + in.textA())
                    : tok.encodePair(prefix + in.textA(), prefix + in.textB());
            rows.add(e);
            tokens += e.length();
            if (e.truncated()) {
                truncated++;
            }
        }
        return new Prepared(baseModel, rows, tokens, truncated, maxLength, tok);
    }

    /** Queues prepared rows for {@code adapter} (null: the base model alone, for embeddings). */
    public CompletableFuture<List<RowResult>> submit(ServedAdapter adapter, Prepared prepared) {
        if (adapter != null && !adapter.baseModel().id().equals(prepared.baseModel().id())) {
            throw new IllegalArgumentException("adapter " + adapter.id() + " is for " + adapter.baseModel().id()
                    + ", the rows were prepared for " + prepared.baseModel().id());
        }
        CompletableFuture<List<RowResult>> f = new CompletableFuture<>();
        if (prepared.rows().isEmpty()) {
            f.complete(List.of());
            return f;
        }
        if (!thread.isAlive()) {
            f.completeExceptionally(new IllegalStateException("the inference engine is closed"));
            return f;
        }
        if (adapter != null && !adapter.acquire()) {
            throw new IllegalStateException("adapter " + adapter.id() + " was closed");
        }
        queue.add(new Pending(prepared.baseModel(), adapter, prepared, f));
        return f;
    }

    /** Loads a base model's weights on the engine thread ahead of the first request. */
    public CompletableFuture<List<RowResult>> warmUp(BaseModel model) {
        return submit(null, prepare(model, Math.min(16, model.maxPositions()), List.of(Input.of("warm up"))));
    }

    /** Forward passes run so far and rows they served. */
    public long batches() {
        return batches;
    }

    public long rowsServed() {
        return rowsServed;
    }

    private void loop() {
        FineTuner.gradModeOff();
        List<Pending> taken = new ArrayList<>();
        while (true) {
            Pending first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (first == STOP) {
                failAll(List.copyOf(queue));
                return;
            }
            taken.clear();
            taken.add(first);
            int rows = first.prepared().rows().size();
            long deadline = System.nanoTime() + windowNanos;
            boolean stop = false;
            while (rows < maxBatchRows) {
                long left = deadline - System.nanoTime();
                Pending next;
                try {
                    next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                } catch (InterruptedException e) {
                    stop = true;
                    break;
                }
                if (next == null) {
                    break;
                }
                if (next == STOP) {
                    stop = true;
                    break;
                }
                taken.add(next);
                rows += next.prepared().rows().size();
            }
            run(taken);
            if (stop) {
                failAll(List.copyOf(queue));
                return;
            }
        }
    }

    private void run(List<Pending> taken) {
        Map<String, List<Row>> byModel = new LinkedHashMap<>();
        Map<Pending, RowResult[]> results = new LinkedHashMap<>();
        for (Pending p : taken) {
            results.put(p, new RowResult[p.prepared().rows().size()]);
            List<Row> rows = byModel.computeIfAbsent(p.baseModel().id(), k -> new ArrayList<>());
            for (int i = 0; i < p.prepared().rows().size(); i++) {
                rows.add(new Row(p, i, p.prepared().rows().get(i)));
            }
        }
        for (List<Row> rows : byModel.values()) {
            BaseModel model = rows.get(0).pending().baseModel();
            try {
                EncoderWeights base = tuner.baseWeights(model);
                Pooling pooling = FineTuner.poolingOf(model);
                // rows of similar length share a forward: less padding
                rows.sort(Comparator.comparingInt(r -> r.encoding().length()));
                for (int from = 0; from < rows.size(); from += maxBatchRows) {
                    List<Row> chunk = rows.subList(from, Math.min(rows.size(), from + maxBatchRows));
                    forward(base, pooling, chunk, results);
                }
            } catch (IOException e) {
                fail(rows, new UncheckedIOException("cannot load the base model " + model.id(), e));
            } catch (RuntimeException | Error e) {
                fail(rows, e);
            }
        }
        results.forEach((p, r) -> {
            if (p.adapter() != null) {
                p.adapter().release();
            }
            if (!p.result().isDone()) {
                p.result().complete(List.of(r));
            }
        });
    }

    private void forward(EncoderWeights base, Pooling pooling, List<Row> chunk, Map<Pending, RowResult[]> results) {
        Encoding[] encodings = new Encoding[chunk.size()];
        List<ComposedAdapter> adapters = new ArrayList<>(chunk.size());
        // packed (shared-bank) adapters are composed once for this chunk from the bank they share, then dropped
        Map<ServedAdapter, ComposedAdapter> composedHere = new java.util.IdentityHashMap<>();
        try {
            for (int i = 0; i < chunk.size(); i++) {
                encodings[i] = chunk.get(i).encoding();
                ServedAdapter a = chunk.get(i).pending().adapter();
                if (a == null) {
                    adapters.add(null);
                } else if (a.packed()) {
                    adapters.add(composedHere.computeIfAbsent(a, x -> x.composeForBatch(root)));
                } else {
                    adapters.add(a.composed());
                }
            }
            forward(base, pooling, chunk, results, encodings, adapters);
        } finally {
            composedHere.values().forEach(ComposedAdapter::close);
        }
    }

    private void forward(EncoderWeights base, Pooling pooling, List<Row> chunk, Map<Pending, RowResult[]> results,
                         Encoding[] encodings, List<ComposedAdapter> adapters) {
        dev.vbank.text.tokenize.Batch padded = chunk.get(0).pending().prepared().tokenizer()
                .pad(encodings, Padding.LONGEST);
        Batch batch = new Batch(padded.size(), padded.length(), padded.inputIds(), padded.attentionMask(),
                padded.tokenTypeIds(), null);
        MultiAdapterForward.Output out = MultiAdapterForward.run(root, base, pooling, batch, adapters);
        for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            results.get(r.pending())[r.index()] = new RowResult(out.pooledRow(i), out.heads()[i]);
        }
        batches++;
        rowsServed += chunk.size();
    }

    private static void fail(List<Row> rows, Throwable e) {
        for (Row r : rows) {
            r.pending().result().completeExceptionally(e);
        }
    }

    private static void failAll(List<Pending> pending) {
        for (Pending p : pending) {
            if (p != STOP) {
                if (p.adapter() != null) {
                    p.adapter().release();
                }
                p.result().completeExceptionally(new IllegalStateException("the inference engine is closed"));
            }
        }
    }

    @Override
    public void close() {
        queue.add(STOP);
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tokenizers.values().forEach(TextTokenizer::close);
        root.close();
    }
}
