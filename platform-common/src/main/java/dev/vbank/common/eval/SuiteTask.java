package dev.vbank.common.eval;

import java.util.List;

/**
 * One task of a suite. {@code dataset} is {@code public:<name>} for a dataset the platform fetches itself (vblora-text
 * {@code PublicDatasets} names: imdb-50k, uci-amazon, uci-imdb, uci-yelp) or the id of a tenant's processed file
 * ({@code file-…}); {@code datasetSha256} pins a tenant file's content (null for public data, which is pinned by its npm
 * integrity). {@code taskType} is a vblora-text task type in lower case (classification, regression; a pair task is a classification task whose rows carry a second text);
 * {@code metrics} are vblora-text metric names (accuracy, f1_macro, mcc, pearson, spearman, mse).
 */
public record SuiteTask(String name, String dataset, String datasetSha256, String taskType, List<String> metrics,
                        TaskSplit split) {

    public static final String PUBLIC_PREFIX = "public:";

    public SuiteTask {
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
        split = split == null ? TaskSplit.all() : split;
    }
}
