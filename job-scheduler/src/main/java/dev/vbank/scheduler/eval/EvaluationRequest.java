package dev.vbank.scheduler.eval;

import dev.vbank.common.job.MethodType;
import dev.vbank.scheduler.jobs.RequestHash;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A validated create-evaluation request: the suite reference ({@code name}, {@code name@version} or a suite id) and the
 * subjects, as the union of the listed adapters, the adapters of the listed jobs and those of the jobs matching
 * {@code adapterFilter} (empty: no filter).
 */
public record EvaluationRequest(String suite, List<String> adapters, List<String> jobs,
                                Map<String, String> adapterFilter, List<String> baselines, Map<String, String> metadata) {

    /** The one baseline: the adapter job's training with only the head trained. */
    public static final String HEAD_ONLY = MethodType.HEAD_ONLY.wireName();
    public static final int MAX_ITEMS = 100;

    public EvaluationRequest {
        adapters = List.copyOf(adapters);
        jobs = List.copyOf(jobs);
        adapterFilter = Map.copyOf(adapterFilter);
        baselines = List.copyOf(baselines);
        metadata = Map.copyOf(metadata);
    }

    /** sha256 of the canonical request, for Idempotency-Key comparisons. */
    public String hash() {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("suite", suite);
        canonical.put("adapters", adapters);
        canonical.put("jobs", jobs);
        canonical.put("adapter_filter", new TreeMap<>(adapterFilter));
        canonical.put("baselines", baselines);
        canonical.put("metadata", new TreeMap<>(metadata));
        return RequestHash.of(canonical);
    }
}
