package dev.vbank.text.eval;

import java.util.List;

/**
 * One task to score an adapter on. {@code dataset} is {@code public:<name>} for a {@code PublicDatasets} set or whatever
 * the caller's {@link SuiteEvaluator.TaskSource} resolves; {@code taskType} is {@code classification} or
 * {@code regression}; {@code metrics} are {@code Metrics} names (empty: the type's defaults).
 */
public record ScoringTask(String name, String dataset, String taskType, List<String> metrics, RowSplit split) {
    public ScoringTask {
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
        split = split == null ? RowSplit.all() : split;
    }
}
