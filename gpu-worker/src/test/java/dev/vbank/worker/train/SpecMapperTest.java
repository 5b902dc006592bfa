package dev.vbank.worker.train;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.worker.JobFailure;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecMapperTest {

    /** Through the platform's JSON, as the worker receives it (integers stay integers, fractions become doubles). */
    static DispatchJob job(String model, MethodType type, String hyperparametersJson) throws Exception {
        Map<String, Object> hp = Json.mapper().readValue(hyperparametersJson, Map.class);
        return new DispatchJob("ftjob-x", "t", 1, "lease", 60, model, "file-x", null, new Method(type, hp), 9, null);
    }

    @Test
    void vbloraTakesTheJobsValuesOverTheEncoderDefaults() throws Exception {
        TrainingSpec s = SpecMapper.spec(job("all-minilm-l6-v2", MethodType.VBLORA, """
                {"n_epochs": 3, "batch_size": 4, "max_seq_length": 64, "num_vectors": 40, "topk": 3,
                 "target_modules": "all-linear", "layers_to_transform": [0, 5], "lr_head": 0.02, "warmup_ratio": 0.1}
                """), TaskType.CLASSIFICATION, 7);
        assertThat(s.epochs()).isEqualTo(3);
        assertThat(s.batchSize()).isEqualTo(4);
        assertThat(s.maxSeqLength()).isEqualTo(64);
        assertThat(s.warmupRatio()).isEqualTo(0.1);
        assertThat(s.seed()).isEqualTo(9);
        assertThat(s.checkpointEvery()).isEqualTo(7);
        assertThat(s.vblora().numVectors()).isEqualTo(40);
        assertThat(s.vblora().topk()).isEqualTo(3);
        assertThat(s.vblora().vectorLength()).as("vblora-text's default for 384-wide encoders").isEqualTo(128);
        assertThat(s.vblora().layersToTransform()).containsExactly(0, 5);
        assertThat(s.vblora().lrHead()).isEqualTo(0.02);
        assertThat(s.vblora().adapts("encoder.layer.5.intermediate.dense")).isTrue();
    }

    @Test
    void valuesTheEngineOrTheModelCannotTakeFailWithTheirParameter() throws Exception {
        assertInvalid(job("all-minilm-l6-v2", MethodType.VBLORA, "{\"vector_length\": 100}"),
                "method.hyperparameters.vector_length", "does not divide");
        assertInvalid(job("all-minilm-l6-v2", MethodType.VBLORA, "{\"num_vectors\": 2, \"topk\": 3}"),
                "method.hyperparameters.topk", "num_vectors");
        assertInvalid(job("all-minilm-l6-v2", MethodType.LORA, "{\"layers_to_transform\": [6]}"),
                "method.hyperparameters.layers_to_transform", "6 layers");
        assertInvalid(job("all-minilm-l6-v2", MethodType.LORA, "{\"n_epochs\": 2.5}"),
                "method.hyperparameters.n_epochs", "integer");
        assertInvalid(job("all-minilm-l6-v2", MethodType.HEAD_ONLY, "{\"num_vectors\": 8}"),
                "method.hyperparameters.num_vectors", "unknown hyperparameter");
        assertInvalid(job("all-minilm-l6-v2", MethodType.VBLORA, "{\"max_seq_length\": 4096}"),
                "method.hyperparameters.max_seq_length", "512");
        assertThatThrownBy(() -> SpecMapper.spec(job("gpt-17", MethodType.LORA, "{}"), TaskType.CLASSIFICATION, 0))
                .isInstanceOfSatisfying(JobFailure.class, f -> {
                    assertThat(f.code()).isEqualTo("invalid_model");
                    assertThat(f.param()).isEqualTo("model");
                });
    }

    @Test
    void headOnlyAndLoraMapTheirOwnRates() throws Exception {
        TrainingSpec head = SpecMapper.spec(job("bge-small-en-v1.5", MethodType.HEAD_ONLY,
                "{\"lr_head\": 0.05, \"weight_decay_head\": 0}"), TaskType.REGRESSION, 0);
        assertThat(head.headLr()).isEqualTo(0.05);
        assertThat(head.headWeightDecay()).isZero();
        assertThat(head.task()).isEqualTo(TaskType.REGRESSION);
        TrainingSpec lora = SpecMapper.spec(job("e5-small-v2", MethodType.LORA,
                "{\"r\": 16, \"lora_alpha\": 32, \"lr_lora\": 0.001, \"checkpoint_every\": 50}"),
                TaskType.CLASSIFICATION, 0);
        assertThat(lora.lora().r()).isEqualTo(16);
        assertThat(lora.lora().scaling()).isEqualTo(2.0);
        assertThat(lora.lora().lrLora()).isEqualTo(0.001);
        assertThat(SpecMapper.checkpointEvery(job("e5-small-v2", MethodType.LORA, "{\"checkpoint_every\": 50}"), 7))
                .isEqualTo(50);
        assertThat(SpecMapper.checkpointEvery(job("e5-small-v2", MethodType.LORA, "{}"), 7)).isEqualTo(7);
    }

    @Test
    void fractionalNumericLabelsMeanRegression() {
        var ex = List.of(new dev.vbank.text.data.Example("a", null, "0.5", 1),
                new dev.vbank.text.data.Example("b", null, "2", 2));
        assertThat(TaskTypes.of(new dev.vbank.text.data.RawDataset("f", false, ex)))
                .isEqualTo(TaskType.REGRESSION);
        var classes = List.of(new dev.vbank.text.data.Example("a", null, "0", 1),
                new dev.vbank.text.data.Example("b", null, "positive", 2));
        assertThat(TaskTypes.of(new dev.vbank.text.data.RawDataset("f", false, classes)))
                .isEqualTo(TaskType.CLASSIFICATION);
    }

    static void assertInvalid(DispatchJob job, String param, String message) {
        assertThatThrownBy(() -> SpecMapper.spec(job, TaskType.CLASSIFICATION, 0))
                .isInstanceOfSatisfying(JobFailure.class, f -> {
                    assertThat(f.code()).isEqualTo("invalid_hyperparameters");
                    assertThat(f.param()).isEqualTo(param);
                    assertThat(f.getMessage()).contains(message);
                });
    }

    @Test
    void aBaselineKeepsWhatShapesTheDataAndTheHeadAndDropsTheAdaptersOwnValues() throws Exception {
        TrainingSpec s = SpecMapper.baselineSpec(job("all-minilm-l6-v2", MethodType.VBLORA, """
                {"n_epochs": 2, "batch_size": 4, "max_seq_length": 48, "num_vectors": 40, "lr_vector_bank": 0.1,
                 "lr_head": 0.03, "weight_decay_head": 0.01, "warmup_ratio": 0.2, "checkpoint_every": 5}
                """), TaskType.REGRESSION);
        assertThat(s.method()).isEqualTo(dev.vbank.text.train.Method.HEAD_ONLY);
        assertThat(s.epochs()).isEqualTo(2);
        assertThat(s.batchSize()).isEqualTo(4);
        assertThat(s.maxSeqLength()).isEqualTo(48);
        assertThat(s.headLr()).isEqualTo(0.03);
        assertThat(s.headWeightDecay()).isEqualTo(0.01);
        assertThat(s.warmupRatio()).isEqualTo(0.2);
        assertThat(s.task()).isEqualTo(TaskType.REGRESSION);
        assertThat(s.seed()).isEqualTo(9);
        assertThat(s.checkpointEvery()).as("a baseline writes no checkpoints").isZero();

        DispatchJob noMethod = new DispatchJob("evitem-x", "t", 1, "lease", 60, "all-minilm-l6-v2", "file-x", null,
                null, 3, null);
        assertThat(SpecMapper.baselineSpec(noMethod, TaskType.CLASSIFICATION).maxSeqLength())
                .isEqualTo(TrainingSpec.DEFAULT_MAX_SEQ_LENGTH);
        DispatchJob bad = job("all-minilm-l6-v2", MethodType.VBLORA, "{\"batch_size\": 0, \"r\": 4}");
        assertThatThrownBy(() -> SpecMapper.baselineSpec(bad, TaskType.CLASSIFICATION))
                .isInstanceOfSatisfying(JobFailure.class, f -> assertThat(f.param())
                        .isEqualTo("method.hyperparameters.batch_size"));
    }

    @Test
    void validationRunsEveryEvalEveryStepsOrFiveTimesPerRunByDefault() throws Exception {
        DispatchJob explicit = job("all-minilm-l6-v2", MethodType.VBLORA, """
                {"n_epochs": 2, "batch_size": 8, "eval_every": 3}""");
        TrainingSpec s = SpecMapper.spec(explicit, TaskType.CLASSIFICATION, 0);
        assertThat(s.evalEvery()).isEqualTo(3);
        assertThat(SpecMapper.withDefaultEvalEvery(explicit, s, 240).evalEvery()).as("the job's own value").isEqualTo(3);

        DispatchJob unset = job("all-minilm-l6-v2", MethodType.VBLORA, """
                {"n_epochs": 2, "batch_size": 8}""");
        TrainingSpec d = SpecMapper.spec(unset, TaskType.CLASSIFICATION, 0);
        // 241 rows in batches of 8: 31 micro-batches per epoch, 62 steps; validation at 13, 26, 39, 52 and the end
        assertThat(SpecMapper.withDefaultEvalEvery(unset, d, 241).evalEvery()).isEqualTo(13);
        assertThat(SpecMapper.withDefaultEvalEvery(unset, d, 3).evalEvery()).as("2 steps in all").isEqualTo(1);

        assertThatThrownBy(() -> SpecMapper.spec(job("all-minilm-l6-v2", MethodType.VBLORA, """
                {"eval_every": 0}"""), TaskType.CLASSIFICATION, 0))
                .isInstanceOf(JobFailure.class).hasMessageContaining("eval_every");
    }
}
