package dev.vbank.text.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.train.Checkpoint;
import dev.vbank.text.train.Evaluation;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.vblora.format.Accounting;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rendering of the report from synthetic runs: medians, ranges, partial status and the computed findings. */
class ResultsReportTest {

    private static final Dataset TINY = new Dataset(TaskType.CLASSIFICATION, List.of("0", "1"), false,
            List.of(new Dataset.Row("a", null, 0, Double.NaN, 1), new Dataset.Row("b", null, 1, Double.NaN, 2)));

    private static FineTuneResult result(double acc, long peft, long bytes, double seconds) {
        Evaluation e = new Evaluation(TaskType.CLASSIFICATION, 100, 0.5, acc, acc, 2 * acc - 1, Double.NaN,
                Double.NaN, Double.NaN);
        return new FineTuneResult(FineTuneResult.Status.COMPLETED, 10, 10, List.of(0.7f, 0.6f),
                List.of(new Checkpoint.StepEvaluation(10, e)), e, new Checkpoint.StepEvaluation(10, e), null,
                new Accounting(peft, peft, 770, bytes, peft + 770, 0), bytes / 2, seconds, null);
    }

    @Test
    void tablesShowMediansRangesAndWhereVbloraLoses() {
        ResultsReport.Task task = new ResultsReport.Task("uci-amazon", "desc", TINY, TINY, 64, 2);
        List<ResultsReport.Variant> variants = ResultsReport.variants();
        ResultsReport.Variant head = variants.get(0);
        ResultsReport.Variant lora = variants.get(1);
        ResultsReport.Variant vbQv = variants.get(2);
        ResultsReport.Report r = new ResultsReport.Report("./mvnw ...", List.of(task), variants, new long[] {1, 2, 3},
                Instant.now(), "2");
        double[] loraAcc = {0.80, 0.86, 0.84};
        double[] vbAcc = {0.70, 0.72, 0.71};
        double[] headAcc = {0.60, 0.65, 0.62};
        for (int i = 0; i < 3; i++) {
            r.add(new ResultsReport.Run(task, lora, i + 1, result(loraAcc[i], 73_728, 300_000, 100 + i)));
            r.add(new ResultsReport.Run(task, vbQv, i + 1, result(vbAcc[i], 12_000, 60_000, 90 + i)));
            r.add(new ResultsReport.Run(task, head, i + 1, result(headAcc[i], 0, 4_000, 10 + i)));
        }
        String md = r.render();
        assertThat(md).contains("partial (in progress)").contains("9 of 12 runs done");
        assertThat(md).contains("| LoRA r=8 (qv) | 0.8400 | 0.8000–0.8600 |");
        assertThat(md).contains("| VB-LoRA qv | 0.7100 | 0.7000–0.7200 |");
        assertThat(md).contains("| VB-LoRA all-linear | not run |");
        assertThat(md).contains("LoRA r=8 (qv) (0.8400) > VB-LoRA qv (0.7100) > head only (0.6200)");
        assertThat(md).contains("VB-LoRA qv loses against LoRA r=8 (qv) by -13.00 accuracy points (median), outside "
                + "the seed ranges; it stores 12,000 PEFT-savable values vs 73,728 (6.1×)");
        assertThat(md).contains("VB-LoRA qv wins against head only by +9.00 accuracy points");
        r.stopped(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(r.render()).contains("partial: the command was stopped at 2026-01-02T03:04:05Z");
        r.finish();
        assertThat(r.render()).contains("Status: **complete**");
    }
}
