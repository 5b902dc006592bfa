package dev.vbank.worker.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.common.spec.BaseModelShape;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.common.spec.InvalidSpecException;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.TargetModules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The platform's job spec (platform-common) against what the worker hands the engine: each default is what a job that
 * sets nothing trains with, each hyperparameter reaches the engine, and both registries see the same base models.
 */
class JobSpecAgreementTest {

    private static final String MODEL = "all-minilm-l6-v2";

    @ParameterizedTest
    @EnumSource(MethodType.class)
    void aJobThatSetsNothingTrainsWithTheSpecsDefaults(MethodType method) {
        DispatchJob job = job(method, Map.of());
        ObjectNode trained = trainedWith(job);
        for (Hyperparameter h : Hyperparameters.of(method)) {
            if (h.defaultValue() != null) {
                assertThat(trained.get(h.name())).as(method.wireName() + " " + h.name()).isNotNull();
                assertSame(h, Json.mapper().valueToTree(h.defaultValue()), trained.get(h.name()), method);
            } else {
                assertThat(job.method().hyperparameters()).doesNotContainKey(h.name());
            }
        }
        assertThat(SpecMapper.checkpointEvery(job, 7)).as("no checkpoint_every: the worker's setting").isEqualTo(7);
        assertThat(SpecMapper.spec(job, TaskType.CLASSIFICATION, 0).evalEvery()).as("eval_every decided per run").isZero();
    }

    @ParameterizedTest
    @EnumSource(MethodType.class)
    void everyHyperparameterReachesTheEngine(MethodType method) {
        for (Hyperparameter h : Hyperparameters.of(method)) {
            if (h.type() == Hyperparameter.Type.ADAPTER_ID || h.type() == Hyperparameter.Type.VECTOR_BANK_ID
                    || h.type() == Hyperparameter.Type.BANK_MODE) {
                continue; // init_adapter and vector_bank are no engine values: InitAdapter / SharedBanks load them
            }
            JsonNode value = otherValidValue(method, h);
            DispatchJob job = job(method, Map.of(h.name(), Json.mapper().convertValue(value, Object.class)));
            assertSame(h, value, trainedWith(job).get(h.name()), method);
        }
    }

    @Test
    void theSpecAndTheEngineRegisterTheSameModelsWithTheSameShapes() {
        assertThat(BaseModels.all().stream().map(BaseModel::id).sorted().toList()).isEqualTo(BaseModelShapes.ids());
        for (BaseModelShape shape : BaseModelShapes.ALL) {
            BaseModel bm = BaseModels.get(shape.id());
            assertThat(List.of(bm.hiddenSize(), bm.layers(), bm.intermediateSize(), bm.heads(), bm.maxPositions()))
                    .as(shape.id()).containsExactly(shape.hiddenSize(), shape.layers(), shape.intermediateSize(),
                            shape.heads(), shape.maxLength());
            assertThat(bm.modelCard()).isEqualTo("https://huggingface.co/" + shape.huggingFaceId());
            List<ModuleShape> layer0 = FineTuner.shapeOf(bm).linearModules().stream()
                    .filter(m -> TargetModules.layerIndex(m.path()).orElse(-1) == 0).toList();
            List<ModuleShape> declared = shape.modules().stream().map(m -> new ModuleShape("encoder.layer.0."
                    + TargetModules.SHORT_NAMES.get(m.name()), m.in(), m.out())).toList();
            assertThat(declared).as(shape.id()).containsExactlyElementsOf(layer0);
        }
    }

    /** A value the spec accepts that differs from the default, so that a value the worker drops is seen. */
    private static JsonNode otherValidValue(MethodType method, Hyperparameter h) {
        List<Object> candidates = new ArrayList<>();
        switch (h.type()) {
            case INTEGER -> {
                candidates.add((long) h.range().min() + 1);
                candidates.add((long) h.range().min() * 3 + 7);
            }
            case NUMBER -> candidates.add((h.range().min() + Math.min(h.range().max(), 10)) / 3);
            case BOOLEAN -> candidates.add(!(Boolean) h.defaultValue());
            case TARGET_MODULES -> candidates.add("all-linear");
            case LAYERS -> candidates.add(List.of(0, 2));
            case PRECISION -> candidates.add("bf16");
        }
        BaseModelShape shape = BaseModelShapes.find(MODEL).orElseThrow();
        for (Object c : candidates) {
            if (c.equals(h.defaultValue())) {
                continue;
            }
            try {
                Hyperparameters.resolve(method, Json.mapper().valueToTree(Map.of(h.name(), c)), shape);
                return Json.mapper().valueToTree(c);
            } catch (InvalidSpecException e) {
                // the next candidate
            }
        }
        throw new AssertionError("no valid non-default value for " + h.name());
    }

    /** The engine's values under the platform's names. */
    private static ObjectNode trainedWith(DispatchJob job) {
        TrainingSpec s = SpecMapper.spec(job, TaskType.CLASSIFICATION, SpecMapper.checkpointEvery(job, 0));
        ObjectNode out = Json.mapper().createObjectNode();
        switch (s.method()) {
            case VBLORA -> out.setAll((ObjectNode) ConfigJson.toTree(s.vblora()));
            case LORA -> out.setAll((ObjectNode) ConfigJson.toTree(s.lora()));
            case HEAD_ONLY -> out.put("lr_head", s.headLr()).put("weight_decay_head", s.headWeightDecay());
        }
        out.put("n_epochs", s.epochs()).put("batch_size", s.batchSize()).put("max_seq_length", s.maxSeqLength())
                .put("warmup_ratio", s.warmupRatio()).put("eval_every", s.evalEvery())
                .put("checkpoint_every", s.checkpointEvery()).put("precision", s.precision().wireName());
        assertThat(SpecMapper.engineMethod(job.method().type())).isEqualTo(s.method());
        return out;
    }

    private static void assertSame(Hyperparameter h, JsonNode expected, JsonNode trained, MethodType method) {
        String what = method.wireName() + " " + h.name();
        if (expected.isNumber()) {
            assertThat(trained.asDouble()).as(what).isEqualTo(expected.asDouble());
        } else {
            assertThat(trained).as(what).isEqualTo(expected);
        }
    }

    private static DispatchJob job(MethodType method, Map<String, Object> hyperparameters) {
        return new DispatchJob("ftjob-x", "t", 1, "lease", 60, MODEL, "file-x", null,
                new Method(method, hyperparameters), 9, null);
    }
}
