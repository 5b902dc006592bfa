package dev.vbank.inference;

import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.Unavailable;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.serve.InferenceEngine;
import dev.vbank.text.serve.InferenceEngine.Input;
import dev.vbank.text.serve.InferenceEngine.Prepared;
import dev.vbank.text.serve.InferenceEngine.RowResult;
import dev.vbank.text.serve.ServedAdapter;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Predictions and embeddings: an adapter reference for the request's duration, its rows through the batching engine. */
@ApplicationScoped
public class Serving {

    /** Tokens the inputs took after truncation, and how many inputs were truncated. */
    public record Usage(int inputs, long tokens, int truncated) {
    }

    /** A classification row (label, probabilities) or a regression row (value). */
    public record Prediction(int index, String label, Map<String, Double> probabilities, Double value) {
    }

    public record Predictions(String adapter, String model, List<Prediction> data, Usage usage) {
    }

    public record Embeddings(String adapter, String model, List<float[]> data, Usage usage) {
    }

    private final ServingRuntime runtime;
    private final InferenceConfig config;

    public Serving(ServingRuntime runtime, InferenceConfig config) {
        this.runtime = runtime;
        this.config = config;
    }

    public Predictions predict(String tenant, String adapterId, List<Input> inputs) {
        ServedAdapter adapter = runtime.acquire(tenant, adapterId);
        try {
            InferenceEngine engine = runtime.engine();
            Prepared p = engine.prepare(adapter.baseModel(), adapter.maxSeqLength(), inputs);
            List<RowResult> rows = await(engine.submit(adapter, p));
            List<Prediction> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                out.add(prediction(adapter, i, rows.get(i).head()));
            }
            return new Predictions(adapterId, adapter.baseModel().id(), out, usage(p));
        } finally {
            adapter.release();
        }
    }

    /** Embeddings of the base model, or with the adapter applied; {@code model}, when given, must be its base. */
    public Embeddings embed(String tenant, String model, String adapterId, List<Input> inputs) {
        if (adapterId == null) {
            BaseModel bm = runtime.baseModel(model);
            InferenceEngine engine = runtime.engine();
            Prepared p = engine.prepare(bm, bm.maxPositions(), inputs);
            return new Embeddings(null, bm.id(), embeddings(await(engine.submit(null, p))), usage(p));
        }
        ServedAdapter adapter = runtime.acquire(tenant, adapterId);
        try {
            if (model != null && !model.equals(adapter.baseModel().id())) {
                throw Invalid.of("model", "adapter " + adapterId + " is for " + adapter.baseModel().id()
                        + ", not " + model);
            }
            InferenceEngine engine = runtime.engine();
            Prepared p = engine.prepare(adapter.baseModel(), adapter.maxSeqLength(), inputs);
            return new Embeddings(adapterId, adapter.baseModel().id(), embeddings(await(engine.submit(adapter, p))),
                    usage(p));
        } finally {
            adapter.release();
        }
    }

    private static Prediction prediction(ServedAdapter adapter, int index, float[] head) {
        if (adapter.task() == TaskType.REGRESSION) {
            return new Prediction(index, null, null, (double) head[0]);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float z : head) {
            max = Math.max(max, z);
        }
        double[] e = new double[head.length];
        double sum = 0;
        for (int k = 0; k < head.length; k++) {
            e[k] = Math.exp(head[k] - max);
            sum += e[k];
        }
        Map<String, Double> probabilities = new LinkedHashMap<>();
        int best = 0;
        for (int k = 0; k < head.length; k++) {
            probabilities.put(labelOf(adapter, k), e[k] / sum);
            if (head[k] > head[best]) {
                best = k;
            }
        }
        return new Prediction(index, labelOf(adapter, best), probabilities, null);
    }

    private static String labelOf(ServedAdapter adapter, int k) {
        return k < adapter.labels().size() ? adapter.labels().get(k) : Integer.toString(k);
    }

    private static List<float[]> embeddings(List<RowResult> rows) {
        return rows.stream().map(RowResult::embedding).toList();
    }

    private static Usage usage(Prepared p) {
        return new Usage(p.rows().size(), p.tokens(), p.truncated());
    }

    private List<RowResult> await(java.util.concurrent.CompletableFuture<List<RowResult>> f) {
        try {
            return f.get(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new Unavailable("service_unavailable", "the inference engine is busy; try again", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("service_unavailable", "the request was interrupted; try again", null);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
    }
}
