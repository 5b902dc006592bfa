package dev.vbank.vblora.format;

import dev.vbank.vblora.model.EncoderShape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Adapters that transformers + PEFT saved themselves ({@code save_pretrained} on a MiniLM-shaped {@code BertModel}):
 * VB-LoRA top-k with int16 and with uint8 indices, VB-LoRA with full logits on the {@code dense} layers, and LoRA. They
 * are written, with the ΔW·P PEFT computes for each module (P: fixed probes), by
 * {@code text-training/src/test/python/peft_check.py} into {@code OUT/peft-fixtures}; this test runs when
 * {@code -Dvbank.peftcheck.fixtures=OUT/peft-fixtures} names that folder (docs/PEFT.md, "How it was checked"), and skips
 * otherwise: CI has no Python environment with PyTorch and PEFT.
 */
class PeftSavedAdaptersImportTest {
    static final String PROPERTY = "vbank.peftcheck.fixtures";

    @Test
    void vbankImportsWhatPeftSavedAndComputesPeftsDeltas() throws Exception {
        String dirProp = System.getProperty(PROPERTY, "");
        Assumptions.assumeFalse(dirProp.isBlank(), "skipped: -D" + PROPERTY + "=DIR names the peft-fixtures folder that"
                + " src/test/python/peft_check.py (text-training) writes with transformers + PEFT; none is set");
        Path dir = Path.of(dirProp);
        assertThat(dir.resolve("probes.safetensors")).as(PROPERTY + " = " + dir).isRegularFile();
        Map<String, Safetensors.Entry> probes = Safetensors.read(dir.resolve("probes.safetensors")).tensors();
        Map<String, Boolean> trainable = Map.of("vblora-topk-int16-dense", false, "vblora-topk-uint8-qv", false,
                "vblora-full-dense", true, "lora-qv-dense", true);
        for (Map.Entry<String, Boolean> c : trainable.entrySet()) {
            Path adapter = dir.resolve(c.getKey());
            assertThat(adapter).isDirectory();
            AdapterWeights a = PeftFormat.importDir(adapter);
            PeftFormat.checkFits(a, EncoderShape.miniLmL6().linearModules());
            assertThat(a.trainable()).as(c.getKey() + " keeps what training needs").isEqualTo(c.getValue());
            Map<String, Safetensors.Entry> expected =
                    Safetensors.read(adapter.resolve("expected_delta_probe.safetensors")).tensors();
            assertThat(a.adaptedPaths()).as(c.getKey()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            double worst = 0;
            for (Map.Entry<String, Safetensors.Entry> e : expected.entrySet()) {
                Tensor delta = a.deltaWeight(e.getKey());
                Tensor probe = probes.get("probe_" + delta.dim(1)).toTensor();
                double rel = PeftReferenceFixtureTest.relativeError(times(delta, probe), e.getValue().toTensor());
                // PyTorch forms ΔW·P in float32 (sums of up to 1536 products); vbank's side here in double
                assertThat(rel).as(c.getKey() + " " + e.getKey()).isLessThanOrEqualTo(5e-6);
                worst = Math.max(worst, rel);
            }
            System.out.printf("%s: %d modules, max relative error of ΔW·P against PEFT's %.2e%n", c.getKey(),
                    expected.size(), worst);
            // and vbank's export of it reads back to the same deltas
            AdapterWeights again = PeftFormat.importZip(PeftFormat.toFiles(a, new PeftFormat.Options(!c.getValue(), "",
                    PeftFormat.Target.bert("sentence-transformers/all-MiniLM-L6-v2", "mean", ""))).zip());
            for (String path : a.adaptedPaths()) {
                assertThat(again.deltaWeight(path).data()).as(c.getKey() + " re-export " + path)
                        .isEqualTo(a.deltaWeight(path).data());
            }
        }
    }

    static Tensor times(Tensor a, Tensor b) {
        int n = (int) a.dim(0);
        int k = (int) a.dim(1);
        int m = (int) b.dim(1);
        float[] out = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int x = 0; x < k; x++) {
                    s += (double) a.data()[i * k + x] * b.data()[x * m + j];
                }
                out[i * m + j] = (float) s;
            }
        }
        return new Tensor(new long[] {n, m}, out);
    }
}
