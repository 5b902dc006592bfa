package dev.vbank.text.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetSplitsTest {
    private static RawDataset raw(String source, String... labels) {
        List<Example> ex = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            ex.add(new Example("text " + i, null, labels[i], i + 1));
        }
        return new RawDataset(source, false, ex);
    }

    @Test
    void integerLabelsSortNumericallyAndStringsLexicographically() {
        assertThat(DatasetSplits.discoverLabels(raw("a", "10", "2", "-1", "2"))).containsExactly("-1", "2", "10");
        assertThat(DatasetSplits.discoverLabels(raw("b", "pos", "neg", "neutral"))).containsExactly("neg", "neutral", "pos");
        assertThat(DatasetSplits.discoverLabels(raw("c", "1", "b"))).containsExactly("1", "b");
    }

    @Test
    void fractionalLabelsAreRegressionOnlyWhenAsked() {
        RawDataset sts = raw("sts", "0.5", "4", "2.25");
        assertThatThrownBy(() -> DatasetSplits.discoverLabels(sts))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.errors().get(0).line()).isEqualTo(1);
                    assertThat(e.getMessage()).contains("regression");
                });
        DatasetSplits s = DatasetSplits.of(sts, raw("sts-val", "1.5"), TaskType.REGRESSION);
        assertThat(s.train().targets()).containsExactly(0.5, 4.0, 2.25);
        assertThat(s.train().labels()).isEmpty();
        assertThat(s.train().rows().get(0).label()).isEqualTo(-1);
        assertThat(s.validation().targets()).containsExactly(1.5);
    }

    @Test
    void regressionRejectsNonNumericTargetsWithTheirLine() {
        assertThatThrownBy(() -> DatasetSplits.of(raw("t", "1", "2"), raw("v", "1.5", "high"), TaskType.REGRESSION))
                .isInstanceOfSatisfying(DatasetException.class, e -> {
                    assertThat(e.errors()).singleElement().satisfies(r -> {
                        assertThat(r.source()).isEqualTo("v");
                        assertThat(r.line()).isEqualTo(2);
                    });
                });
    }

    @Test
    void validationFileMustUseTrainingClassesAndSchema() {
        DatasetSplits ok = DatasetSplits.of(raw("t", "b", "a", "b"), raw("v", "a"), TaskType.CLASSIFICATION);
        assertThat(ok.train().labelIndices()).containsExactly(1, 0, 1);
        assertThat(ok.validation().labelIndices()).containsExactly(0);

        assertThatThrownBy(() -> DatasetSplits.of(raw("t", "a", "b"), raw("v", "a", "c"), TaskType.CLASSIFICATION))
                .hasMessageContaining("v:2:").hasMessageContaining("'c'");
        RawDataset pairs = new RawDataset("p", true, List.of(new Example("x", "y", "a", 1)));
        assertThatThrownBy(() -> DatasetSplits.of(raw("t", "a", "b"), pairs, TaskType.CLASSIFICATION))
                .hasMessageContaining("text pairs");
        assertThatThrownBy(() -> DatasetSplits.discoverLabels(raw("one", "a", "a"))).hasMessageContaining("at least 2 classes");
    }

    @Test
    void carveOutIsStratifiedSeededAndDisjoint() {
        String[] labels = new String[100];
        for (int i = 0; i < 100; i++) {
            labels[i] = i < 80 ? "neg" : "pos"; // 80 / 20
        }
        RawDataset all = raw("all", labels);
        DatasetSplits s = DatasetSplits.carve(all, TaskType.CLASSIFICATION, 0.1, 42);

        // 10% per class: round(0.1*80)=8 neg and round(0.1*20)=2 pos in validation
        assertThat(s.validation().classCounts()).containsExactly(8, 2);
        assertThat(s.train().classCounts()).containsExactly(72, 18);
        Set<String> seen = new HashSet<>(s.train().textsA());
        seen.addAll(s.validation().textsA());
        assertThat(seen).hasSize(100);

        DatasetSplits again = DatasetSplits.carve(all, TaskType.CLASSIFICATION, 0.1, 42);
        assertThat(again.validation().textsA()).isEqualTo(s.validation().textsA());
        DatasetSplits other = DatasetSplits.carve(all, TaskType.CLASSIFICATION, 0.1, 43);
        assertThat(other.validation().textsA()).isNotEqualTo(s.validation().textsA());

        // a class with one row stays in training
        DatasetSplits tiny = DatasetSplits.carve(raw("tiny", "a", "a", "a", "a", "b"), TaskType.CLASSIFICATION, 0.5, 1);
        assertThat(tiny.train().classCounts()).containsExactly(2, 1);
        assertThat(tiny.validation().classCounts()).containsExactly(2, 0);
        assertThatThrownBy(() -> DatasetSplits.carve(all, TaskType.CLASSIFICATION, 1.0, 1)).hasMessageContaining("(0, 1)");
    }
}
