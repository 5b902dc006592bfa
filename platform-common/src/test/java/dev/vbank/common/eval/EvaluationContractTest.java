package dev.vbank.common.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvaluationContractTest {

    private static final Suite SUITE = new Suite("suite-1", null, "sentiment-en", 1, "built-in", List.of(
            new SuiteTask("uci-amazon", "public:uci-amazon", null, "classification", List.of("accuracy", "f1_macro"),
                    TaskSplit.all()),
            new SuiteTask("imdb-test", "public:imdb-50k", null, "classification", List.of("accuracy"),
                    new TaskSplit(TaskSplit.TEST, 0.5, 2024L, 500))));

    @Test
    void evaluationDispatchRoundTripsInSnakeCase() throws Exception {
        DispatchJob job = new DispatchJob("evitem-1", "t1", 1, "lease", 60, "all-minilm-l6-v2", "file-1", null,
                new Method(MethodType.HEAD_ONLY, Map.of("n_epochs", 1)), 7, null,
                new EvaluationWork("eval-1", EvaluationSubject.BASELINE_HEAD_ONLY, "adapter-1", "ab".repeat(32), SUITE));
        String text = Json.mapper().writeValueAsString(job);
        JsonNode tree = Json.mapper().readTree(text);
        assertThat(tree.at("/evaluation/subject").asText()).isEqualTo("baseline_head_only");
        assertThat(tree.at("/evaluation/adapter_sha256").asText()).hasSize(64);
        assertThat(tree.at("/evaluation/suite/tasks/1/split/test_fraction").asDouble()).isEqualTo(0.5);
        assertThat(Json.mapper().readValue(text, DispatchJob.class)).isEqualTo(job);
    }

    @Test
    void fineTuningDispatchHasNoEvaluation() throws Exception {
        DispatchJob job = new DispatchJob("ftjob-1", "t1", 1, "lease", 60, "m", "file-1", null,
                new Method(MethodType.VBLORA, Map.of()), 7, null);
        DispatchJob back = Json.mapper().readValue(Json.mapper().writeValueAsString(job), DispatchJob.class);
        assertThat(back.evaluation()).isNull();
        assertThat(back).isEqualTo(job);
    }

    @Test
    void outcomeRoundTripsAndUnknownSubjectIsRejected() throws Exception {
        EvaluationOutcome outcome = new EvaluationOutcome("cd".repeat(32), 41_000, 9_000, 8_000, List.of(
                new TaskResult("uci-amazon", TaskResult.SUCCEEDED, Map.of("accuracy", 0.9), 1000, 250.5, null),
                new TaskResult("sts", TaskResult.SKIPPED, Map.of(), 0, 0, "task type regression, adapter head classifies")));
        String text = Json.mapper().writeValueAsString(outcome);
        assertThat(Json.mapper().readTree(text).at("/tasks/0/examples_per_second").asDouble()).isEqualTo(250.5);
        assertThat(Json.mapper().readValue(text, EvaluationOutcome.class)).isEqualTo(outcome);
        assertThatThrownBy(() -> EvaluationSubject.fromWireName("lora")).hasMessageContaining("baseline_head_only");
    }
}
