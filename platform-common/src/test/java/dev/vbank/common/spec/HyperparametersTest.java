package dev.vbank.common.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HyperparametersTest {

    static final BaseModelShape MINILM = BaseModelShapes.find("all-minilm-l6-v2").orElseThrow();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static JsonNode json(String s) throws Exception {
        return Json.mapper().readTree(s);
    }

    @Test
    void everyNameIsDeclaredOncePerMethodWithADescription() {
        for (MethodType m : MethodType.values()) {
            Set<String> names = new HashSet<>();
            for (Hyperparameter h : Hyperparameters.of(m)) {
                assertThat(names.add(h.name())).as(m + " declares " + h.name() + " once").isTrue();
                assertThat(h.description()).as(h.name()).isNotBlank();
                assertThat(h.name()).matches("[a-z][a-z0-9_]*");
            }
        }
        assertThat(Hyperparameters.of(MethodType.HEAD_ONLY)).allSatisfy(h -> assertThat(h.methods())
                .as("what head_only takes, every method takes").containsExactlyInAnyOrder(MethodType.values()));
    }

    @ParameterizedTest
    @EnumSource(MethodType.class)
    void theDefaultsAreValidOnEveryModelAndResolveToThemselves(MethodType method) {
        for (BaseModelShape model : BaseModelShapes.ALL) {
            Map<String, Object> defaults = Hyperparameters.resolve(method, null, model);
            assertThat(defaults).isEqualTo(Hyperparameters.defaults(method));
            ObjectNode again = Json.mapper().valueToTree(defaults);
            assertThat(Hyperparameters.resolve(method, again, model)).as("a job's resolved values, sent again")
                    .isEqualTo(defaults);
        }
    }

    @Test
    void unsetValuesTakeTheirDefaultsAndSetOnesAreKept() throws Exception {
        Map<String, Object> hp = Hyperparameters.resolve(MethodType.VBLORA,
                json("{\"num_vectors\": 40, \"lr_logits\": 0.05, \"layers_to_transform\": [0, 5]}"), MINILM);
        assertThat(hp).containsEntry("num_vectors", 40L).containsEntry("lr_logits", 0.05)
                .containsEntry("layers_to_transform", List.of(0, 5))
                .containsEntry("vector_length", 128L).containsEntry("topk", 2L).containsEntry("r", 4L)
                .containsEntry("target_modules", "qv").containsEntry("n_epochs", 1L)
                .doesNotContainKeys("eval_every", "checkpoint_every", "lora_alpha");
        assertThat(Hyperparameters.resolve(MethodType.LORA, null, MINILM)).containsEntry("r", 8L)
                .containsEntry("lora_alpha", 16.0).doesNotContainKey("num_vectors");
    }

    /** For each hyperparameter: a value of the wrong type, one just outside the range, and the range's ends. */
    @ParameterizedTest
    @EnumSource(MethodType.class)
    void everyHyperparameterIsCheckedByTypeAndRange(MethodType method) {
        for (Hyperparameter h : Hyperparameters.of(method)) {
            String param = "method.hyperparameters." + h.name();
            JsonNode wrongType = h.type() == Hyperparameter.Type.TARGET_MODULES
                    || h.type() == Hyperparameter.Type.ADAPTER_ID ? NODES.numberNode(1) : NODES.textNode("1");
            assertRejected(method, h.name(), wrongType, param);
            switch (h.type()) {
                case INTEGER -> {
                    long min = (long) h.range().min();
                    long max = (long) h.range().max();
                    assertRejected(method, h.name(), NODES.numberNode(min - 1), param);
                    assertRejected(method, h.name(), NODES.numberNode(max + 1), param);
                    assertRejected(method, h.name(), NODES.numberNode(min + 0.5), param);
                    assertAccepted(method, h.name(), NODES.numberNode(min));
                }
                case NUMBER -> {
                    Hyperparameter.Range r = h.range();
                    assertRejected(method, h.name(), NODES.numberNode(r.min() - 0.5), param);
                    assertRejected(method, h.name(), NODES.numberNode(r.max() + 0.5), param);
                    if (r.minExclusive()) {
                        assertRejected(method, h.name(), NODES.numberNode(r.min()), param);
                    } else {
                        assertAccepted(method, h.name(), NODES.numberNode(r.min()));
                    }
                    if (r.maxExclusive()) {
                        assertRejected(method, h.name(), NODES.numberNode(r.max()), param);
                    } else {
                        assertAccepted(method, h.name(), NODES.numberNode(r.max()));
                    }
                }
                case BOOLEAN -> assertAccepted(method, h.name(), NODES.booleanNode(true));
                case TARGET_MODULES -> {
                    assertRejected(method, h.name(), NODES.textNode("regex:.*"), param);
                    assertAccepted(method, h.name(), NODES.textNode("all-linear"));
                    assertAccepted(method, h.name(), NODES.textNode("query, output.dense"));
                }
                case ADAPTER_ID -> {
                    assertRejected(method, h.name(), NODES.textNode("file-abc"), param);
                    assertAccepted(method, h.name(), NODES.textNode("adapter-0123456789abcdef01234567"));
                }
                case VECTOR_BANK_ID -> {
                    assertRejected(method, h.name(), NODES.textNode("adapter-abc"), param);
                    assertAccepted(method, h.name(), NODES.textNode("vbank-0123456789abcdef01234567"));
                }
                case BANK_MODE -> {
                    assertRejected(method, h.name(), NODES.textNode("thawed"), param);
                    assertRejected(method, h.name(), NODES.textNode("alternate"), param);
                    // frozen alone: only with a vector_bank
                    assertRejected(method, h.name(), NODES.textNode("frozen"), param);
                }
                case PRECISION -> {
                    assertRejected(method, h.name(), NODES.textNode("fp16"), param);
                    assertRejected(method, h.name(), NODES.textNode("BF16"), param);
                    assertRejected(method, h.name(), NODES.numberNode(16), param);
                    assertAccepted(method, h.name(), NODES.textNode("bf16"));
                    assertAccepted(method, h.name(), NODES.textNode("fp32"));
                }
                case LAYERS -> {
                    assertRejected(method, h.name(), NODES.arrayNode(), param);
                    assertRejected(method, h.name(), NODES.arrayNode().add(6), param);
                    assertRejected(method, h.name(), NODES.arrayNode().add(1).add(1), param);
                    assertAccepted(method, h.name(), NODES.arrayNode().add(0).add(5));
                }
            }
        }
    }

    /** What a client generated from the OpenAPI document sends for what it leaves unset. */
    @Test
    void aNullIsUnsetEvenForAnotherMethodsName() throws Exception {
        Map<String, Object> hp = Hyperparameters.resolve(MethodType.VBLORA, json("{\"num_vectors\": null, \"r\": null,"
                + " \"lora_alpha\": null, \"layers_to_transform\": null, \"init_adapter\": null, \"topk\": 3}"), MINILM);
        assertThat(hp).isEqualTo(Hyperparameters.resolve(MethodType.VBLORA, json("{\"topk\": 3}"), MINILM));
        assertThat(hp).containsEntry("num_vectors", 90L).containsEntry("r", 4L).doesNotContainKeys("lora_alpha",
                "layers_to_transform", "init_adapter");
        assertThatThrownBy(() -> Hyperparameters.resolve(MethodType.VBLORA, json("{\"rank\": null}"), MINILM))
                .as("a name no method takes is still unknown")
                .isInstanceOfSatisfying(InvalidSpecException.class,
                        e -> assertThat(e.param()).isEqualTo("method.hyperparameters.rank"));
    }

    @Test
    void unknownNamesAndThoseOfAnotherMethodAreRejected() throws Exception {
        assertThatThrownBy(() -> Hyperparameters.resolve(MethodType.LORA, json("{\"rank\": 4}"), MINILM))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> {
                    assertThat(e.param()).isEqualTo("method.hyperparameters.rank");
                    assertThat(e.getMessage()).contains("unknown hyperparameter", "lora_alpha");
                });
        assertThatThrownBy(() -> Hyperparameters.resolve(MethodType.HEAD_ONLY, json("{\"r\": 4}"), MINILM))
                .isInstanceOfSatisfying(InvalidSpecException.class,
                        e -> assertThat(e.param()).isEqualTo("method.hyperparameters.r"));
        assertThatThrownBy(() -> Hyperparameters.resolve(MethodType.LORA, json("[]"), MINILM))
                .isInstanceOfSatisfying(InvalidSpecException.class,
                        e -> assertThat(e.param()).isEqualTo("method.hyperparameters"));
    }

    @Test
    void valuesAreCheckedAgainstEachOtherAndTheModelsShape() throws Exception {
        assertRejected(MethodType.VBLORA, "{\"topk\": 91}", "method.hyperparameters.topk", "num_vectors (90)");
        assertRejected(MethodType.VBLORA, "{\"num_vectors\": 4, \"topk\": 5}", "method.hyperparameters.topk", "5");
        assertRejected(MethodType.VBLORA, "{\"vector_length\": 100}", "method.hyperparameters.vector_length",
                "does not divide");
        assertRejected(MethodType.VBLORA, "{\"vector_length\": 512}", "method.hyperparameters.vector_length",
                "384 in");
        // 768 divides no 384-wide module; with only the MLP adapted it still fails on output.dense's 384 out features
        assertRejected(MethodType.VBLORA, "{\"vector_length\": 768, \"target_modules\": \"intermediate.dense\"}",
                "method.hyperparameters.vector_length", "intermediate.dense");
        assertThat(Hyperparameters.resolve(MethodType.VBLORA, json("{\"vector_length\": 384, \"target_modules\":"
                + " \"all-linear\"}"), MINILM)).containsEntry("vector_length", 384L);
        BaseModelShape wide = BaseModelShape.bert("wide", "x/wide", 512, 2, 2048, 8, 256);
        assertThat(Hyperparameters.resolve(MethodType.VBLORA, json("{\"vector_length\": 512}"), wide))
                .containsEntry("vector_length", 512L);
        assertThatThrownBy(() -> Hyperparameters.resolve(MethodType.LORA, json("{\"max_seq_length\": 300}"), wide))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> {
                    assertThat(e.param()).isEqualTo("method.hyperparameters.max_seq_length");
                    assertThat(e.getMessage()).contains("256");
                });
    }

    @Test
    void theModelsAreRegisteredWithTheirHubIdsAndShapes() {
        assertThat(BaseModelShapes.ids()).containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2");
        assertThat(MINILM.huggingFaceId()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(MINILM.modules()).contains(new BaseModelShape.LinearModule("intermediate.dense", 384, 1536),
                new BaseModelShape.LinearModule("output.dense", 1536, 384));
        assertThat(BaseModelShapes.find("gpt-4")).isEmpty();
    }

    private static void assertRejected(MethodType method, String json, String param, String message) throws Exception {
        JsonNode node = json(json);
        assertThatThrownBy(() -> Hyperparameters.resolve(method, node, MINILM))
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    private static void assertRejected(MethodType method, String name, JsonNode value, String param) {
        ObjectNode body = NODES.objectNode().set(name, value);
        assertThatThrownBy(() -> Hyperparameters.resolve(method, body, MINILM)).as(name + " = " + value)
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.param()).isEqualTo(param));
    }

    private static void assertAccepted(MethodType method, String name, JsonNode value) {
        ObjectNode body = NODES.objectNode().set(name, value);
        if (name.equals("topk")) {
            body.put("num_vectors", 256);
        }
        if (name.equals("vector_bank")) {
            assertThat(Hyperparameters.resolve(method, body, MINILM)).containsEntry("bank_mode", "frozen");
        }
        if (name.equals("vector_length") || name.equals("num_vectors") && value.asLong() < 2) {
            body.put("topk", 1);
        }
        Map<String, Object> hp = Hyperparameters.resolve(method, body, MINILM);
        assertThat(hp).as(name + " = " + value).containsKey(name);
    }
}
