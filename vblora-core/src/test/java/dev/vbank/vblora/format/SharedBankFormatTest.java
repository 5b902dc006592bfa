package dev.vbank.vblora.format;

import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Bank-referencing compact adapters: the per-user part of a VB-LoRA adapter trained against a published bank. */
class SharedBankFormatTest {

    /** all-MiniLM-L6-v2's adapted shapes: 6 layers, hidden 384, intermediate 1536. */
    static final int LAYERS = 6;
    static final int D = 384;
    static final int FFN = 1536;

    static VbloraConfig config(TargetModules targets, int h) {
        return VbloraConfig.builder().numVectors(h).vectorLength(128).r(4).topk(2).targetModules(targets).build();
    }

    /** A trained-looking adapter with the provenance the fine-tuner writes, two labels, logits kept. */
    static AdapterWeights minilm(long seed, VbloraConfig c, Tensor bank) {
        Random rnd = new Random(seed);
        List<VbloraModule> modules = new ArrayList<>();
        for (ModuleShape m : c.validateAgainst(FormatFixtures.bert(LAYERS, D, FFN))) {
            int b = c.vectorLength();
            modules.add(VbloraModule.ofLogits(m.path(), m.in(), m.out(),
                    FormatFixtures.random(rnd, 1.0, c.r(), m.in() / b, c.numVectors()),
                    FormatFixtures.random(rnd, 1.0, m.out() / b, c.r(), c.numVectors())));
        }
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("trainer", "vbank FineTuner");
        prov.put("method", "vblora");
        prov.put("seed", Long.toString(seed));
        prov.put("steps", "1250");
        prov.put("task", "classification");
        prov.put("max_seq_length", "128");
        return AdapterWeights.vblora(c, "sentence-transformers/all-MiniLM-L6-v2", "cd".repeat(32), bank, modules,
                FormatFixtures.head(rnd, D, 2), "SEQ_CLS", List.of("negative", "positive"), prov);
    }

    static Tensor bank(int h) {
        return FormatFixtures.random(new Random(99), 0.02, h, 128);
    }

    static final Tensor BANK = bank(90);
    static final byte[] BANK_FILE = VectorBankFile.write(BANK);
    static final BankRef REF = new BankRef("vbank-0123456789abcdef01234567", VectorBankFile.sha256(BANK_FILE));
    static final CompactFormat.BankSource SOURCE = ref -> ref.id().equals(REF.id()) ? BANK_FILE : null;

    @Test
    void queryValueAdapterFitsInFourKilobytesAndAllLinearInEight() {
        byte[] qv = CompactFormat.write(minilm(1, config(TargetModules.QV, 90), BANK).withBankRef(REF),
                CompactFormat.Options.SHARED_BANK);
        byte[] all = CompactFormat.write(minilm(1, config(TargetModules.ALL_LINEAR, 90), BANK).withBankRef(REF),
                CompactFormat.Options.SHARED_BANK);
        System.out.printf("bank-referencing adapter bytes: qv %d, all-linear %d%n", qv.length, all.length);
        assertThat(qv.length).isLessThanOrEqualTo(4096);
        assertThat(all.length).isLessThanOrEqualTo(8192);
        // the private-bank adapter of the same values is an order of magnitude larger
        byte[] privateQv = CompactFormat.write(minilm(1, config(TargetModules.QV, 90), BANK).toTopKOnly(),
                CompactFormat.Options.FP32);
        assertThat(privateQv.length).isGreaterThan(10 * qv.length);
        assertThat(CompactFormat.readManifest(qv).get("format_version").asInt())
                .isEqualTo(CompactFormat.VERSION_BANK_REFERENCING);
        assertThat(CompactFormat.readManifest(qv).get("tensors").findValuesAsText("name")).doesNotContain("bank")
                .contains("topk_indices", "topk_weights");
        assertThat(CompactFormat.readManifest(qv).get("tensors").get(0).get("dtype").asText()).isEqualTo("U8");
    }

    @Test
    void roundTripKeepsIndicesReferenceAndHeadWithinFp16() {
        AdapterWeights a = minilm(2, config(TargetModules.QV, 90), BANK).withBankRef(REF);
        byte[] file = CompactFormat.write(a, CompactFormat.Options.SHARED_BANK);
        assertThat(CompactFormat.bankRef(file)).isEqualTo(REF);
        AdapterWeights back = CompactFormat.read(file, SOURCE);
        assertThat(back.bankRef()).isEqualTo(REF);
        assertThat(back.vectorBank()).isEqualTo(BANK);
        assertThat(back.trainable()).isFalse();
        assertThat(back.labels()).containsExactly("negative", "positive");
        assertThat(back.provenance()).containsEntry("max_seq_length", "128");
        AdapterWeights topk = a.toTopKOnly();
        for (String p : a.adaptedPaths()) {
            TopK want = topk.vbloraModules().get(p).topkA();
            TopK got = back.vbloraModules().get(p).topkA();
            assertThat(got.indices()).isEqualTo(want.indices());
            float[] w = want.weights();
            float[] g = got.weights();
            for (int i = 0; i < w.length; i++) {
                assertThat(g[i]).isCloseTo(w[i], within(1e-3f));
            }
            assertThat(back.vbloraModules().get(p).topkB().indices()).isEqualTo(topk.vbloraModules().get(p).topkB().indices());
        }
        float[] hw = a.head().get("classifier.weight").data();
        float[] hb = back.head().get("classifier.weight").data();
        for (int i = 0; i < hw.length; i++) {
            assertThat(hb[i]).isCloseTo(hw[i], within(Math.abs(hw[i]) * 1e-3f + 1e-7f));
        }
        // writing what was read gives the same bytes (the fp16 values are a fixed point)
        assertThat(CompactFormat.write(back, CompactFormat.Options.SHARED_BANK)).isEqualTo(file);
        // dropping the reference makes a self-contained file with the bank
        AdapterWeights selfContained = CompactFormat.read(CompactFormat.write(back.withBankRef(null),
                CompactFormat.Options.FP32));
        assertThat(selfContained.bankRef()).isNull();
        assertThat(selfContained.vectorBank()).isEqualTo(BANK);
    }

    @Test
    void compositionEqualsThePrivateBankCompositionWithTheSameBankAndSelections() {
        AdapterWeights a = minilm(3, config(TargetModules.ALL_LINEAR, 90), BANK);
        // fp32 weights so that the two files hold the same selections exactly
        CompactFormat.Options fp32 = new CompactFormat.Options(CompactFormat.Precision.F32, CompactFormat.Precision.F32,
                CompactFormat.Precision.F32);
        AdapterWeights shared = CompactFormat.read(CompactFormat.write(a.withBankRef(REF), fp32), SOURCE);
        AdapterWeights priv = CompactFormat.read(CompactFormat.write(a.toTopKOnly(), fp32));
        assertThat(priv.bankRef()).isNull();
        for (String p : a.adaptedPaths()) {
            assertThat(shared.composeA(p)).isEqualTo(priv.composeA(p));
            assertThat(shared.composeB(p)).isEqualTo(priv.composeB(p));
            assertThat(shared.deltaWeight(p)).isEqualTo(priv.deltaWeight(p));
        }
        // and, with the fp16 weights it is stored with, within fp16's rounding of the weights
        AdapterWeights half = CompactFormat.read(CompactFormat.write(a.withBankRef(REF),
                CompactFormat.Options.SHARED_BANK), SOURCE);
        String p = a.adaptedPaths().get(0);
        float[] want = priv.deltaWeight(p).data();
        float[] got = half.deltaWeight(p).data();
        double max = 0;
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertThat(max).isLessThan(scale * 2e-3);
    }

    @Test
    void readingNeedsTheReferencedBankWithItsSha256AndShape() {
        byte[] file = CompactFormat.write(minilm(4, config(TargetModules.QV, 90), BANK).withBankRef(REF),
                CompactFormat.Options.SHARED_BANK);
        assertThatThrownBy(() -> CompactFormat.read(file))
                .isInstanceOf(CompactFormat.BankRequiredException.class)
                .hasMessageContaining(REF.id())
                .satisfies(e -> assertThat(((CompactFormat.BankRequiredException) e).ref()).isEqualTo(REF));
        assertThatThrownBy(() -> CompactFormat.read(file, ref -> null))
                .isInstanceOf(CompactFormat.BankRequiredException.class);
        float[] changed = bank(90).data().clone();
        changed[0] += 1f;
        byte[] other = VectorBankFile.write(new Tensor(new long[]{90, 128}, changed));
        assertThatThrownBy(() -> CompactFormat.read(file, ref -> other))
                .isInstanceOf(FormatException.class).hasMessageContaining("sha256");
        // a bank of another shape under the same (forged) reference is refused too
        byte[] small = VectorBankFile.write(bank(64));
        BankRef forged = new BankRef(REF.id(), VectorBankFile.sha256(small));
        byte[] forgedFile = CompactFormat.write(minilm(4, config(TargetModules.QV, 90), BANK).withBankRef(forged),
                CompactFormat.Options.SHARED_BANK);
        assertThatThrownBy(() -> CompactFormat.read(forgedFile, ref -> small))
                .isInstanceOf(FormatException.class).hasMessageContaining("(90, 128)");
    }

    @Test
    void indicesAreUint16ForLargeBanks() {
        Tensor big = bank(300);
        byte[] bigFile = VectorBankFile.write(big);
        BankRef ref = new BankRef("vbank-big", VectorBankFile.sha256(bigFile));
        byte[] file = CompactFormat.write(minilm(5, config(TargetModules.QV, 300), big).withBankRef(ref),
                CompactFormat.Options.SHARED_BANK);
        assertThat(CompactFormat.readManifest(file).get("tensors").get(0).get("dtype").asText()).isEqualTo("U16");
        assertThat(CompactFormat.read(file, r -> bigFile).vbloraModules()).hasSize(12);
    }

    @Test
    void selfContainedAdaptersStayVersionOneAndReadWithoutABank() {
        AdapterWeights a = minilm(6, config(TargetModules.QV, 90), BANK);
        byte[] file = CompactFormat.write(a, CompactFormat.Options.FP32);
        assertThat(CompactFormat.readManifest(file).get("format_version").asInt()).isEqualTo(CompactFormat.VERSION);
        assertThat(CompactFormat.bankRef(file)).isNull();
        assertThat(CompactFormat.read(file)).isEqualTo(a);
        assertThat(CompactFormat.read(file, SOURCE)).isEqualTo(a);
    }

    @Test
    void bankFileIsContentAddressed() {
        assertThat(VectorBankFile.write(bank(90))).isEqualTo(BANK_FILE);
        assertThat(VectorBankFile.read(BANK_FILE)).isEqualTo(BANK);
        assertThatThrownBy(() -> VectorBankFile.read(CompactFormat.write(minilm(7, config(TargetModules.QV, 90), BANK),
                CompactFormat.Options.FP32))).isInstanceOf(FormatException.class);
        assertThatThrownBy(() -> SharedBank.of(REF, VectorBankFile.write(bank(64))))
                .isInstanceOf(FormatException.class).hasMessageContaining("sha256");
    }
}
