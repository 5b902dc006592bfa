package dev.vbank.vblora.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.vbank.vblora.format.FormatFixtures.maxAbsDiff;
import static dev.vbank.vblora.format.FormatFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeftFormatTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final AdapterWeights ADAPTER = FormatFixtures.vblora(2, FormatFixtures.smallConfig(), 2, 16, 32);
    static final String Q0 = "encoder.layer.0.attention.self.query";

    @Test
    void exportImportFullLogitsIsExact(@TempDir Path dir) throws Exception {
        PeftFormat.export(ADAPTER, dir, PeftFormat.Options.full());
        AdapterWeights back = PeftFormat.importDir(dir);
        assertThat(back).isEqualTo(ADAPTER);
        assertThat(back.trainable()).isTrue();

        JsonNode cfg = JSON.readTree(dir.resolve(PeftFormat.CONFIG_FILE).toFile());
        assertThat(cfg.get("peft_type").asText()).isEqualTo("VBLORA");
        for (String f : List.of("r", "target_modules", "num_vectors", "vector_length", "topk", "vblora_dropout",
                "fan_in_fan_out", "bias", "modules_to_save", "init_vector_bank_bound", "init_logits_std",
                "layers_to_transform", "layers_pattern", "save_only_topk_weights", "base_model_name_or_path",
                "task_type", "inference_mode")) {
            assertThat(cfg.has(f)).as(f).isTrue();
        }
        assertThat(cfg.get("num_vectors").asInt()).isEqualTo(12);
        assertThat(cfg.get("save_only_topk_weights").asBoolean()).isFalse();
        assertThat(cfg.get("modules_to_save").isNull()).isTrue();
        assertThat(cfg.get("task_type").isNull()).as("task_type unset: PEFT wraps the bare encoder").isTrue();
        assertThat(cfg.get("auto_mapping").get("base_model_class").asText()).isEqualTo("BertModel");
        assertThat(cfg.get("auto_mapping").get("parent_library").asText()).isEqualTo("transformers.models.bert.modeling_bert");
        assertThat(cfg.get("target_modules")).hasSize(12);

        Safetensors.Contents st = Safetensors.read(dir.resolve(PeftFormat.WEIGHTS_FILE));
        assertThat(st.require("base_model.vblora_vector_bank").shape()).containsExactly(12, 8);
        assertThat(st.require("base_model.model." + Q0 + ".vblora_logits_A").shape()).containsExactly(2, 2, 12);
        assertThat(st.require("base_model.model.encoder.layer.1.intermediate.dense.vblora_logits_B").shape())
                .containsExactly(4, 2, 12);
        assertThat(st.tensors().keySet()).noneMatch(k -> k.contains("classifier"));
        assertThat(st.metadata()).containsEntry("format", "pt");
        Safetensors.Contents head = Safetensors.read(dir.resolve(PeftFormat.HEAD_FILE));
        assertThat(head.require("classifier.weight").shape()).containsExactly(3, 16);
        assertThat(head.metadata()).containsEntry("pooling", "mean").containsKey("labels");
        assertThat(Files.readString(dir.resolve(PeftFormat.README_FILE))).contains("PeftModel.from_pretrained")
                .contains("vbank_head.safetensors").contains("softmax");
    }

    @Test
    void exportImportTopkOnlyIsExact(@TempDir Path dir) throws Exception {
        PeftFormat.export(ADAPTER, dir, PeftFormat.Options.topkOnly());
        AdapterWeights back = PeftFormat.importDir(dir);
        AdapterWeights expected = ADAPTER.toTopKOnly();
        assertThat(back.vbloraModules()).isEqualTo(expected.vbloraModules());
        assertThat(back.vectorBank()).isEqualTo(ADAPTER.vectorBank());
        assertThat(back.head()).isEqualTo(ADAPTER.head());
        assertThat(back.vbloraConfig()).isEqualTo(ADAPTER.vbloraConfig().withSaveOnlyTopkWeights(true));
        assertThat(back.trainable()).isFalse();
        for (String p : ADAPTER.adaptedPaths()) {
            assertThat(back.deltaWeight(p)).isEqualTo(ADAPTER.deltaWeight(p));
        }
        Safetensors.Contents st = Safetensors.read(dir.resolve(PeftFormat.WEIGHTS_FILE));
        Safetensors.Entry idx = st.require("base_model.model." + Q0 + ".vblora_logits_A_topk_indices");
        assertThat(idx.dtype()).isEqualTo(Safetensors.DType.U8);
        assertThat(idx.shape()).containsExactly(2, 2, 2);
        assertThat(st.require("base_model.model." + Q0 + ".vblora_logits_B_topk_weights").shape()).containsExactly(2, 2, 1);
        assertThat(st.tensors()).doesNotContainKey("base_model.model." + Q0 + ".vblora_logits_A");
        assertThat(JSON.readTree(dir.resolve(PeftFormat.CONFIG_FILE).toFile()).get("save_only_topk_weights").asBoolean()).isTrue();

        // a top-k-only adapter re-exports to the same bytes
        Path again = dir.resolve("again");
        PeftFormat.export(back, again);
        assertThat(Files.readAllBytes(again.resolve(PeftFormat.WEIGHTS_FILE)))
                .isEqualTo(Files.readAllBytes(dir.resolve(PeftFormat.WEIGHTS_FILE)));
        assertThatThrownBy(() -> PeftFormat.export(back, dir.resolve("x"), PeftFormat.Options.full()))
                .hasMessageContaining("no logits");
    }

    @Test
    void indexDtypesFollowPeft() {
        assertThat(PeftFormat.peftIndexDtype(255)).isEqualTo(Safetensors.DType.U8);
        assertThat(PeftFormat.peftIndexDtype(256)).isEqualTo(Safetensors.DType.I16);
        assertThat(PeftFormat.peftIndexDtype(32767)).isEqualTo(Safetensors.DType.I16);
        assertThat(PeftFormat.peftIndexDtype(32768)).isEqualTo(Safetensors.DType.I32);
        VbloraConfig c = VbloraConfig.builder().numVectors(300).vectorLength(8).r(2).topk(3).build();
        AdapterWeights a = FormatFixtures.vblora(9, c, 1, 16, 32);
        PeftFormat.Export f = PeftFormat.toFiles(a, PeftFormat.Options.topkOnly());
        Safetensors.Contents st = Safetensors.read(f.adapterModel());
        assertThat(st.require("base_model.model." + Q0 + ".vblora_logits_A_topk_indices").dtype()).isEqualTo(Safetensors.DType.I16);
        assertThat(PeftFormat.fromBytes(f.adapterConfig(), f.adapterModel()).vbloraModules())
                .isEqualTo(a.toTopKOnly().vbloraModules());
    }

    /** A directory laid out as PEFT saves it, built here from the spec with the safetensors writer only. */
    @Test
    void importsHandAssembledPeftDirectoriesInBothModes(@TempDir Path dir) throws Exception {
        Random rnd = new Random(21);
        int h = 6;
        int b = 4;
        int r = 2;
        int k = 2;
        int d = 8;
        Tensor bank = random(rnd, 0.3, h, b);
        List<String> paths = List.of("roberta.encoder.layer.0.attention.self.query", "roberta.encoder.layer.0.attention.self.value",
                "roberta.encoder.layer.1.attention.self.query", "roberta.encoder.layer.1.attention.self.value");
        List<Tensor[]> logits = new ArrayList<>();
        List<Safetensors.Entry> full = new ArrayList<>();
        List<Safetensors.Entry> topk = new ArrayList<>();
        for (String p : paths) {
            Tensor la = random(rnd, 1.0, r, d / b, h);
            Tensor lb = random(rnd, 1.0, d / b, r, h);
            logits.add(new Tensor[]{la, lb});
            full.add(Safetensors.Entry.f32("base_model.model." + p + ".vblora_logits_A", la));
            full.add(Safetensors.Entry.f32("base_model.model." + p + ".vblora_logits_B", lb));
            for (Object[] part : new Object[][]{{"A", la}, {"B", lb}}) {
                Tensor l = (Tensor) part[1];
                int n = (int) (l.dim(0) * l.dim(1));
                int[] idx = new int[n * k];
                float[] w = new float[n];
                for (int s = 0; s < n; s++) {
                    final int off = s * h;
                    Integer[] order = {0, 1, 2, 3, 4, 5};
                    Arrays.sort(order, Comparator.comparingDouble(i -> -l.data()[off + i]));
                    idx[s * k] = order[0];
                    idx[s * k + 1] = order[1];
                    double e0 = Math.exp(l.data()[off + order[0]]);
                    double e1 = Math.exp(l.data()[off + order[1]]);
                    w[s] = (float) (e0 / (e0 + e1));
                }
                String base = "base_model.model." + p + ".vblora_logits_" + part[0];
                topk.add(Safetensors.Entry.ints(base + "_topk_indices", Safetensors.DType.U8,
                        new long[]{l.dim(0), l.dim(1), k}, idx));
                topk.add(Safetensors.Entry.f32(base + "_topk_weights", new Tensor(new long[]{l.dim(0), l.dim(1), 1}, w)));
            }
        }
        Tensor cw = random(rnd, 0.1, 2, d);
        for (List<Safetensors.Entry> list : List.of(full, topk)) {
            list.add(Safetensors.Entry.f32("base_model.vblora_vector_bank", bank));
            list.add(Safetensors.Entry.f32("base_model.model.classifier.out_proj.weight", cw));
        }
        for (boolean topkMode : new boolean[]{false, true}) {
            Path p = dir.resolve(topkMode ? "topk" : "full");
            Files.createDirectories(p);
            String cfg = """
                    {"peft_type": "VBLORA", "task_type": "SEQ_CLS", "base_model_name_or_path": "FacebookAI/roberta-base",
                     "r": 2, "num_vectors": 6, "vector_length": 4, "topk": 2, "target_modules": ["query", "value"],
                     "exclude_modules": null, "save_only_topk_weights": %s, "vblora_dropout": 0.0, "fan_in_fan_out": false,
                     "bias": "none", "modules_to_save": ["classifier"], "init_vector_bank_bound": 0.02,
                     "init_logits_std": 0.1, "layers_to_transform": null, "layers_pattern": null,
                     "revision": null, "inference_mode": true, "peft_version": "0.14.0"}
                    """.formatted(topkMode);
            Files.write(p.resolve(PeftFormat.CONFIG_FILE), cfg.getBytes(StandardCharsets.UTF_8));
            Safetensors.write(p.resolve(PeftFormat.WEIGHTS_FILE), Map.of("format", "pt"), topkMode ? topk : full);

            AdapterWeights a = PeftFormat.importDir(p);
            assertThat(a.kind()).isEqualTo(AdapterKind.VBLORA);
            assertThat(a.trainable()).isEqualTo(!topkMode);
            assertThat(a.vbloraConfig().targetModules()).isEqualTo(TargetModules.QV);
            assertThat(a.vbloraConfig().saveOnlyTopkWeights()).isEqualTo(topkMode);
            assertThat(a.head()).containsKey("roberta.classifier.out_proj.weight".substring("roberta.".length()));
            assertThat(a.adaptedPaths()).containsExactlyInAnyOrderElementsOf(paths);
            for (int i = 0; i < paths.size(); i++) {
                String path = paths.get(i);
                assertThat(a.vbloraModules().get(path).in()).isEqualTo(d);
                double[][] refA = FormatFixtures.referenceA(logits.get(i)[0], bank, k);
                double[][] refB = FormatFixtures.referenceB(logits.get(i)[1], bank, k);
                assertThat(maxAbsDiff(a.composeA(path), refA)).as(path).isLessThan(1e-6);
                assertThat(maxAbsDiff(a.composeB(path), refB)).as(path).isLessThan(1e-6);
            }
        }
    }

    @Test
    void modulePrefixIsAppliedAndStripped() {
        PeftFormat.Export f = PeftFormat.toFiles(ADAPTER, new PeftFormat.Options(false, "roberta.", null));
        Safetensors.Contents st = Safetensors.read(f.adapterModel());
        assertThat(st.tensors()).containsKey("base_model.model.roberta." + Q0 + ".vblora_logits_A");
        assertThat(PeftFormat.fromBytes(f.adapterConfig(), f.adapterModel(), f.head())).isEqualTo(ADAPTER);
    }

    @Test
    void loraExportImportAndZip(@TempDir Path dir) throws Exception {
        AdapterWeights lora = FormatFixtures.lora(4);
        PeftFormat.export(lora, dir);
        JsonNode cfg = JSON.readTree(dir.resolve(PeftFormat.CONFIG_FILE).toFile());
        assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(16.0);
        assertThat(cfg.get("r").asInt()).isEqualTo(4);
        Safetensors.Contents st = Safetensors.read(dir.resolve(PeftFormat.WEIGHTS_FILE));
        assertThat(st.require("base_model.model." + Q0 + ".lora_A.weight").shape()).containsExactly(4, 16);
        assertThat(st.require("base_model.model.encoder.layer.1.output.dense.lora_B.weight").shape()).containsExactly(16, 4);
        assertThat(st.tensors()).doesNotContainKey("base_model.model.encoder.layer.1.attention.output.dense.lora_A.weight");
        assertThat(PeftFormat.importDir(dir)).isEqualTo(lora);

        byte[] zip = PeftFormat.toFiles(lora, PeftFormat.Options.full()).zip();
        assertThat(PeftFormat.importZip(zip)).isEqualTo(lora);
        assertThat(PeftFormat.toFiles(PeftFormat.importZip(zip), PeftFormat.Options.full()).zip()).isEqualTo(zip);

        // without vbank metadata the selection is rebuilt from the paths present
        Safetensors.Contents plain = Safetensors.read(dir.resolve(PeftFormat.WEIGHTS_FILE));
        byte[] noMeta = Safetensors.write(Map.of("format", "pt"), plain.tensors().values());
        AdapterWeights rebuilt = PeftFormat.fromBytes(Files.readAllBytes(dir.resolve(PeftFormat.CONFIG_FILE)), noMeta);
        assertThat(rebuilt.loraModules()).isEqualTo(lora.loraModules());
        assertThat(rebuilt.loraConfig().targetModules()).isEqualTo(TargetModules.parse("query,value,output.dense"));
        assertThat(rebuilt.loraConfig().targetModules().matches("encoder.layer.0.attention.output.dense")).isFalse();
    }

    @Test
    void rejectsMixedModesUnknownTypeAndHeadOnly() throws Exception {
        PeftFormat.Export full = PeftFormat.toFiles(ADAPTER, PeftFormat.Options.full());
        PeftFormat.Export topk = PeftFormat.toFiles(ADAPTER, PeftFormat.Options.topkOnly());
        List<Safetensors.Entry> mixed = new ArrayList<>(Safetensors.read(full.adapterModel()).tensors().values());
        mixed.removeIf(e -> e.name().startsWith("base_model.model." + Q0 + "."));
        Safetensors.read(topk.adapterModel()).tensors().values().stream()
                .filter(e -> e.name().startsWith("base_model.model." + Q0 + ".")).forEach(mixed::add);
        assertThatThrownBy(() -> PeftFormat.fromBytes(full.adapterConfig(), Safetensors.write(Map.of(), mixed)))
                .isInstanceOf(FormatException.class).hasMessageContaining("cannot be mixed");

        byte[] ia3 = new String(full.adapterConfig(), StandardCharsets.UTF_8).replace("\"VBLORA\"", "\"IA3\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PeftFormat.fromBytes(ia3, full.adapterModel())).hasMessageContaining("peft_type must be VBLORA or LORA, was 'IA3'");

        AdapterWeights headOnly = AdapterWeights.headOnly("m", null, ADAPTER.head(), null, null, null);
        assertThatThrownBy(() -> PeftFormat.toFiles(headOnly, PeftFormat.Options.full())).hasMessageContaining("head_only");

        byte[] cut = Arrays.copyOf(full.adapterModel(), full.adapterModel().length - 3);
        assertThatThrownBy(() -> PeftFormat.fromBytes(full.adapterConfig(), cut)).isInstanceOf(FormatException.class);
    }
}
