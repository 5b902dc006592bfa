package dev.vbank.vblora.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.reference.SharedReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The adapter Hugging Face PEFT 0.21 wrote itself ({@code vbank.peft.fixture.dir}, default
 * {@code ../shared/reference/peft-0.21}): vbank's import reproduces the ΔW PEFT computed for it, and vbank's export of it
 * has PEFT's own keys, dtypes, tensor bytes and config fields.
 */
class PeftReferenceFixtureTest {
    static final String PROPERTY = "vbank.peft.fixture.dir";
    static final ObjectMapper JSON = new ObjectMapper();
    static Path fixture;

    @BeforeAll
    static void locate() {
        Path dir = SharedReference.dir(PROPERTY, "../shared/reference/peft-0.21");
        fixture = dir.resolve("bert-qv-full");
        Assumptions.assumeTrue(Files.isDirectory(fixture), SharedReference.absent("PEFT 0.21 fixture", PROPERTY, dir));
    }

    @Test
    void importReproducesPeftsDeltas() throws Exception {
        AdapterWeights a = PeftFormat.importDir(fixture);
        PeftFormat.checkFits(a, EncoderShape.miniLmL6().linearModules());
        assertThat(a.trainable()).isTrue();
        assertThat(a.vbloraConfig().numVectors()).isEqualTo(64);
        Map<String, Safetensors.Entry> expected =
                Safetensors.read(fixture.resolve("expected_delta_weights.safetensors")).tensors();
        assertThat(a.adaptedPaths()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, Safetensors.Entry> e : expected.entrySet()) {
            assertThat(relativeError(a.deltaWeight(e.getKey()), e.getValue().toTensor())).as(e.getKey())
                    .isLessThanOrEqualTo(1e-6);
        }
        // top-k only, as PEFT would reload it: the same deltas
        AdapterWeights topk = PeftFormat.importZip(PeftFormat.toFiles(a, PeftFormat.Options.topkOnly()).zip());
        for (Map.Entry<String, Safetensors.Entry> e : expected.entrySet()) {
            assertThat(relativeError(topk.deltaWeight(e.getKey()), e.getValue().toTensor())).as(e.getKey())
                    .isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void exportHasPeftsKeysDtypesBytesAndConfig() throws Exception {
        AdapterWeights a = PeftFormat.importDir(fixture);
        PeftFormat.Export export = PeftFormat.toFiles(a, new PeftFormat.Options(false, "",
                PeftFormat.Target.bert("sentence-transformers/all-MiniLM-L6-v2", "mean", "")));
        Map<String, Safetensors.Entry> peft = Safetensors.read(fixture.resolve(PeftFormat.WEIGHTS_FILE)).tensors();
        Map<String, Safetensors.Entry> ours = Safetensors.read(export.adapterModel()).tensors();
        assertThat(ours.keySet()).isEqualTo(peft.keySet());
        for (String k : peft.keySet()) {
            assertThat(ours.get(k).dtype()).as(k).isEqualTo(peft.get(k).dtype());
            assertThat(ours.get(k).shape()).as(k).isEqualTo(peft.get(k).shape());
            assertThat(ours.get(k).data()).as(k).isEqualTo(peft.get(k).data());
        }
        JsonNode theirs = JSON.readTree(fixture.resolve(PeftFormat.CONFIG_FILE).toFile());
        JsonNode mine = JSON.readTree(export.adapterConfig());
        for (String field : List.of("peft_type", "task_type", "auto_mapping", "r", "num_vectors", "vector_length", "topk",
                "save_only_topk_weights", "vblora_dropout", "bias", "fan_in_fan_out", "modules_to_save",
                "init_vector_bank_bound", "init_logits_std", "layers_to_transform", "inference_mode")) {
            assertThat(mine.get(field)).as(field).isEqualTo(theirs.get(field));
        }
        assertThat(mine.get("base_model_name_or_path").asText()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");

        // export -> import -> export: the same tensor bytes
        AdapterWeights back = PeftFormat.importZip(export.zip());
        assertThat(PeftFormat.toFiles(back, new PeftFormat.Options(false, "",
                PeftFormat.Target.bert("sentence-transformers/all-MiniLM-L6-v2", "mean", ""))).adapterModel())
                .isEqualTo(export.adapterModel());
    }

    @Test
    void aModelWithoutTheseLayersIsRejected() throws Exception {
        AdapterWeights a = PeftFormat.importDir(fixture);
        EncoderShape fourLayers = new EncoderShape(30522, 384, 4, 12, 1536, 512, 2, 1e-12f);
        assertThatThrownBy(() -> PeftFormat.checkFits(a, fourLayers.linearModules()))
                .isInstanceOf(FormatException.class).hasMessageContaining("encoder.layer.4.attention.self.query")
                .hasMessageContaining("does not exist");
        EncoderShape wider = new EncoderShape(30522, 768, 6, 12, 3072, 512, 2, 1e-12f);
        assertThatThrownBy(() -> PeftFormat.checkFits(a, wider.linearModules()))
                .isInstanceOf(FormatException.class).hasMessageContaining("768 x 768");
    }

    static double relativeError(Tensor got, Tensor want) {
        assertThat(got.shape()).isEqualTo(want.shape());
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.data().length; i++) {
            double d = (double) got.data()[i] - want.data()[i];
            num += d * d;
            den += (double) want.data()[i] * want.data()[i];
        }
        return Math.sqrt(num / den);
    }
}
