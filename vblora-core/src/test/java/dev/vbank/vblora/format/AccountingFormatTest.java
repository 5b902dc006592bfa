package dev.vbank.vblora.format;

import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AccountingFormatTest {

    static final VbloraConfig PAPER = VbloraConfig.builder().numVectors(90).vectorLength(256).r(4).topk(2)
            .targetModules(TargetModules.ALL_LINEAR).build();

    @Test
    void robertaBaseAllLinearFromShapes() {
        List<ModuleShape> adapted = PAPER.validateAgainst(FormatFixtures.bert(12, 768, 3072));
        assertThat(adapted).hasSize(72);
        assertThat(Accounting.peftSavableTopk(PAPER, adapted)).isEqualTo(26_928);
    }

    @Test
    void robertaLargeAllLinearFromShapes() {
        List<ModuleShape> adapted = PAPER.validateAgainst(FormatFixtures.bert(24, 1024, 4096));
        assertThat(adapted).hasSize(144);
        assertThat(Accounting.peftSavableTopk(PAPER, adapted)).isEqualTo(33_408);
    }

    @Test
    void indexFactorFollowsPeftThresholds() {
        List<ModuleShape> one = List.of(new ModuleShape("encoder.layer.0.attention.self.query", 16, 16));
        VbloraConfig c = VbloraConfig.builder().vectorLength(8).r(2).topk(3).build();
        long sub = Accounting.subVectors(c, one);
        assertThat(sub).isEqualTo(8);
        for (int h : new int[]{255, 256, 32767, 32768}) {
            VbloraConfig ch = c.withNumVectors(h);
            double factor = h < 256 ? 0.25 : h < 32768 ? 0.5 : 1.0;
            long expected = (long) (h * 8L + sub * 2 + sub * 3 * factor);
            assertThat(Accounting.peftSavableTopk(ch, one)).as("h=" + h).isEqualTo(expected);
            assertThat(Accounting.peftSavableFull(ch, one)).isEqualTo(h * 8L + sub * h);
        }
    }

    @Test
    void adapterAccountingIsConsistent() {
        AdapterWeights a = FormatFixtures.vblora(5, FormatFixtures.smallConfig(), 2, 16, 32);
        Accounting acc = Accounting.of(a, CompactFormat.Options.FP16);
        VbloraConfig c = a.vbloraConfig();
        long logits = a.vbloraModules().values().stream()
                .mapToLong(m -> (long) m.logitsA().numel() + m.logitsB().numel()).sum();
        long bank = (long) c.numVectors() * c.vectorLength();
        long head = 3 * 16 + 3;
        assertThat(acc.headParams()).isEqualTo(head);
        assertThat(acc.trainable()).isEqualTo(bank + logits + head);
        assertThat(acc.peftSavableFull()).isEqualTo(bank + logits);
        assertThat(acc.subVectors() * c.numVectors()).isEqualTo(logits);
        assertThat(acc.compactBytes()).isEqualTo(CompactFormat.write(a, CompactFormat.Options.FP16).length);
        assertThat(acc.peftSavable()).isLessThan(acc.peftSavableFull());

        AdapterWeights lora = FormatFixtures.lora(1);
        Accounting la = Accounting.of(lora, CompactFormat.Options.FP32);
        long ab = lora.loraModules().values().stream().mapToLong(m -> (long) m.a().numel() + m.b().numel()).sum();
        assertThat(la.trainable()).isEqualTo(ab + 2 * 16 + 2);
        assertThat(la.peftSavable()).isEqualTo(ab);
    }
}
