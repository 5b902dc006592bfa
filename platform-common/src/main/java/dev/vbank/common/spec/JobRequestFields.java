package dev.vbank.common.spec;

import java.util.List;
import java.util.Set;

/** The fields of a create-job body ({@code POST /v1/fine_tuning/jobs}) and of its {@code method} object. */
public final class JobRequestFields {

    public static final Set<String> TOP = Set.of("model", "training_file", "validation_file", "method", "suffix", "seed",
            "metadata", "evaluation");
    public static final List<String> REQUIRED = List.of("model", "training_file", "method");
    public static final Set<String> METHOD = Set.of("type", "hyperparameters");

    private JobRequestFields() {
    }
}
