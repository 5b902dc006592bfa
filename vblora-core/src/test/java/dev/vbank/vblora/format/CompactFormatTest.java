package dev.vbank.vblora.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.vbank.vblora.format.FormatFixtures.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactFormatTest {

    /** Saved with save_only_topk_weights: the compact file keeps top-k indices and weights, not the logits. */
    static final AdapterWeights ADAPTER = FormatFixtures.vblora(1,
            FormatFixtures.smallConfig().withSaveOnlyTopkWeights(true), 2, 16, 32);

    @Test
    void keepsTheLogitsByDefaultSoTrainingCanContinue() {
        AdapterWeights full = FormatFixtures.vblora(1, FormatFixtures.smallConfig(), 2, 16, 32);
        byte[] file = CompactFormat.write(full, CompactFormat.Options.FP32);
        assertThat(CompactFormat.keepsLogits(full)).isTrue();
        AdapterWeights back = CompactFormat.read(file);
        assertThat(back).isEqualTo(full);
        assertThat(back.trainable()).isTrue();
        assertThat(CompactFormat.write(back, CompactFormat.Options.FP32)).isEqualTo(file);
        assertThat(CompactFormat.readManifest(file).get("tensors").findValuesAsText("name"))
                .contains("logits_A:encoder.layer.0.attention.self.query").doesNotContain("topk_indices");
        // asking for top-k only afterwards drops them
        byte[] topk = CompactFormat.write(back.toTopKOnly(), CompactFormat.Options.FP32);
        assertThat(topk.length).isLessThan(file.length);
        assertThat(CompactFormat.read(topk).trainable()).isFalse();
    }

    @Test
    void theStoredPrecisionsAreReadBackSoRewritingGivesTheSameFile() {
        AdapterWeights full = FormatFixtures.vblora(1, FormatFixtures.smallConfig(), 2, 16, 32);
        for (AdapterWeights a : List.of(full, ADAPTER, FormatFixtures.lora(3))) {
            for (CompactFormat.Options o : List.of(CompactFormat.Options.FP32, CompactFormat.Options.FP16,
                    CompactFormat.Options.TRAINED)) {
                byte[] file = CompactFormat.write(a, o);
                CompactFormat.Options stored = CompactFormat.storedOptions(file);
                // logits-only VB-LoRA files hold no top-k weights: their weights precision is reported as F32
                CompactFormat.Precision weights = a.kind() == AdapterKind.VBLORA && !CompactFormat.keepsLogits(a)
                        ? o.weights() : CompactFormat.Precision.F32;
                assertThat(stored).as(a.kind() + " " + o)
                        .isEqualTo(new CompactFormat.Options(o.bank(), weights, o.head()));
                assertThat(CompactFormat.write(CompactFormat.read(file), stored)).as(a.kind() + " " + o).isEqualTo(file);
                assertThat(Accounting.of(CompactFormat.read(file), stored).compactBytes()).isEqualTo(file.length);
            }
        }
        assertThat(CompactFormat.write(full, CompactFormat.Options.TRAINED).length)
                .isLessThan(CompactFormat.write(full, CompactFormat.Options.FP32).length);
    }

    @Test
    void fp32RoundTripIsExactAndCannotTrain(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a.vbank");
        CompactFormat.write(ADAPTER, CompactFormat.Options.FP32, file);
        AdapterWeights back = CompactFormat.read(file);
        assertThat(back).isEqualTo(ADAPTER.toTopKOnly());
        assertThat(back.trainable()).isFalse();
        assertThat(back.baseModelId()).isEqualTo("FacebookAI/roberta-base");
        assertThat(back.baseWeightsSha256()).isEqualTo(FormatFixtures.SHA);
        assertThat(back.labels()).containsExactly("neg", "neu", "pos");
        assertThat(back.provenance()).containsEntry("job_id", "job-1");
        assertThat(back.vbloraConfig()).isEqualTo(ADAPTER.vbloraConfig());
        assertThat(back.head()).isEqualTo(ADAPTER.head());
    }

    @Test
    void reconstructedMatricesEqualComposeFromLogits() {
        AdapterWeights back = CompactFormat.read(CompactFormat.write(ADAPTER, CompactFormat.Options.FP32));
        int k = ADAPTER.vbloraConfig().topk();
        for (VbloraModule m : ADAPTER.vbloraModules().values()) {
            double[][] refA = FormatFixtures.referenceA(m.logitsA(), ADAPTER.vectorBank(), k);
            double[][] refB = FormatFixtures.referenceB(m.logitsB(), ADAPTER.vectorBank(), k);
            assertThat(maxAbsDiff(back.composeA(m.path()), refA)).as(m.path()).isLessThan(1e-7);
            assertThat(maxAbsDiff(back.composeB(m.path()), refB)).as(m.path()).isLessThan(1e-7);
            assertThat(back.composeA(m.path())).isEqualTo(ADAPTER.composeA(m.path()));
            assertThat(back.deltaWeight(m.path())).isEqualTo(ADAPTER.deltaWeight(m.path()));
        }
    }

    @Test
    void fp16RoundTripWithinHalfPrecision() {
        byte[] f16 = CompactFormat.write(ADAPTER, CompactFormat.Options.FP16);
        byte[] f32 = CompactFormat.write(ADAPTER, CompactFormat.Options.FP32);
        AdapterWeights back = CompactFormat.read(f16);
        AdapterWeights exact = ADAPTER.toTopKOnly();
        float[] bank = ADAPTER.vectorBank().data();
        float[] bank16 = back.vectorBank().data();
        for (int i = 0; i < bank.length; i++) {
            assertThat(Math.abs(bank16[i] - bank[i])).isLessThanOrEqualTo(Math.abs(bank[i]) * 0x1p-11f + 0x1p-25f);
        }
        for (VbloraModule m : back.vbloraModules().values()) {
            VbloraModule e = exact.vbloraModules().get(m.path());
            assertThat(m.topkA().indices()).isEqualTo(e.topkA().indices());
            assertThat(m.topkB().indices()).isEqualTo(e.topkB().indices());
            float[] w = m.topkA().weights();
            float[] we = e.topkA().weights();
            for (int i = 0; i < w.length; i++) {
                assertThat(Math.abs(w[i] - we[i])).isLessThanOrEqualTo(1e-3f);
            }
            assertThat(maxAbsDiff(back.composeA(m.path()), toDouble(exact.composeA(m.path())))).isLessThan(1e-4);
        }
        assertThat(back.head()).isEqualTo(ADAPTER.head());
        assertThat(f16.length).isLessThan(f32.length);
    }

    static double[][] toDouble(Tensor t) {
        int rows = (int) t.dim(0);
        int cols = (int) t.dim(1);
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = t.data()[i * cols + j];
            }
        }
        return out;
    }

    @Test
    void manifestDescribesThePayloadAndSizeIsExact() {
        byte[] file = CompactFormat.write(ADAPTER, CompactFormat.Options.FP32);
        JsonNode man = CompactFormat.readManifest(file);
        assertThat(man.get("format_version").asInt()).isEqualTo(CompactFormat.VERSION);
        assertThat(man.get("adapter_kind").asText()).isEqualTo("vblora");
        assertThat(man.at("/base_model/weights_sha256").asText()).isEqualTo(FormatFixtures.SHA);
        assertThat(man.at("/config/num_vectors").asInt()).isEqualTo(12);
        assertThat(man.get("modules")).hasSize(12);
        assertThat(man.get("head")).hasSize(2);
        JsonNode first = man.get("tensors").get(0);
        assertThat(first.get("name").asText()).isEqualTo("bank");
        VbloraConfig c = ADAPTER.vbloraConfig();
        long sub = Accounting.subVectors(c, ADAPTER.vbloraModules().values().stream()
                .map(m -> new dev.vbank.vblora.config.ModuleShape(m.path(), m.in(), m.out())).toList());
        long head = ADAPTER.head().values().stream().mapToLong(Tensor::numel).sum();
        long payload = 4L * c.numVectors() * c.vectorLength() + sub * c.topk() + 4L * sub * (c.topk() - 1) + 4 * head;
        assertThat(man.get("payload_length").asLong()).isEqualTo(payload);
        int manifestLen = ByteBuffer.wrap(file, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertThat((long) file.length).isEqualTo(48 + manifestLen + payload);
        boolean u8 = false;
        for (JsonNode t : man.get("tensors")) {
            if (t.get("name").asText().equals("topk_indices")) {
                assertThat(t.get("shape").get(0).asLong()).isEqualTo(sub);
                assertThat(t.get("dtype").asText()).isEqualTo("U8");
                u8 = true;
            }
        }
        assertThat(u8).isTrue();
    }

    @Test
    void largeBankUsesUint16Indices() {
        VbloraConfig c = VbloraConfig.builder().numVectors(300).vectorLength(8).r(2).topk(3)
                .targetModules(TargetModules.QV).saveOnlyTopkWeights(true).build();
        AdapterWeights a = FormatFixtures.vblora(7, c, 1, 16, 32);
        byte[] file = CompactFormat.write(a, CompactFormat.Options.FP32);
        assertThat(CompactFormat.read(file)).isEqualTo(a.toTopKOnly());
        assertThat(CompactFormat.readManifest(file).get("tensors").toString()).contains("\"dtype\":\"U16\"");
        assertThatThrownBy(() -> CompactFormat.indexDtype(70000)).hasMessageContaining("65536");
    }

    @Test
    void loraAndHeadOnlyRoundTrip() {
        AdapterWeights lora = FormatFixtures.lora(3);
        assertThat(CompactFormat.read(CompactFormat.write(lora, CompactFormat.Options.FP32))).isEqualTo(lora);
        AdapterWeights head = AdapterWeights.headOnly("m", null, lora.head(), "SEQ_CLS", List.of("x", "y"), Map.of());
        assertThat(CompactFormat.read(CompactFormat.write(head, CompactFormat.Options.FP16))).isEqualTo(head);
    }

    @Test
    void rejectsWrongMagicUnknownVersionTruncationAndCorruption() {
        byte[] ok = CompactFormat.write(ADAPTER, CompactFormat.Options.FP32);
        byte[] magic = ok.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> CompactFormat.read(magic)).isInstanceOf(FormatException.class).hasMessageContaining("magic");

        byte[] version = ok.clone();
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3);
        assertThatThrownBy(() -> CompactFormat.read(version)).isInstanceOf(FormatException.class)
                .hasMessageContaining("unsupported compact adapter version 3");

        int manifestLen = ByteBuffer.wrap(ok, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        for (int cut : new int[]{0, 10, 30, 48 + manifestLen / 2, 48 + manifestLen + 5, ok.length - 1}) {
            assertThatThrownBy(() -> CompactFormat.read(Arrays.copyOf(ok, cut))).as("cut at " + cut)
                    .isInstanceOf(FormatException.class).hasMessageContaining("truncated");
        }
        assertThatThrownBy(() -> CompactFormat.read(Arrays.copyOf(ok, ok.length + 3))).hasMessageContaining("trailing");

        byte[] flipped = ok.clone();
        flipped[ok.length - 100] ^= 0x01;
        assertThatThrownBy(() -> CompactFormat.read(flipped)).isInstanceOf(FormatException.class)
                .hasMessageContaining("corrupted").hasMessageContaining("sha256");

        byte[] badManifest = ok.clone();
        badManifest[48 + manifestLen / 2] ^= 0x01;
        assertThatThrownBy(() -> CompactFormat.read(badManifest)).isInstanceOf(FormatException.class)
                .hasMessageContaining("manifest sha256");
    }
}
