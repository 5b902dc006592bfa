package dev.vbank.text.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.train.Checkpoint;
import dev.vbank.text.train.Evaluation;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
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
        List<ResultsReport.Variant> variants = ResultsReport.variants().subList(0, 4);
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
        assertThat(md).contains("| LoRA r=8 (qv) | 0.8400 | — | 0.8000–0.8600 |");
        assertThat(md).contains("| VB-LoRA qv | 0.7100 | — | 0.7000–0.7200 |");
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

    @Test
    void sharedBankRowsSayWhereTheSharedBankLosesAndTheStorageFor10000Users() {
        ResultsReport.Task source = new ResultsReport.Task("imdb", "desc", TINY, TINY, 128, 1);
        ResultsReport.Task task = new ResultsReport.Task("uci-amazon", "desc", TINY, TINY, 64, 1);
        List<ResultsReport.Variant> all = ResultsReport.variants();
        ResultsReport.Variant lora = all.get(1);
        ResultsReport.Variant vbQv = all.get(2);
        ResultsReport.Variant shared = all.get(4);
        assertThat(shared.sharedBank()).isTrue();
        List<ResultsReport.Variant> variants = List.of(lora, vbQv, shared);
        ResultsReport.Report r = new ResultsReport.Report("./mvnw ...", List.of(source, task), variants,
                new long[] {1, 2, 3}, Instant.now(), "2");
        Tensor bank = new Tensor(new long[] {90, 128}, new float[90 * 128]);
        byte[] file = VectorBankFile.write(bank);
        r.bank(new ResultsReport.BankSource("imdb", 1, new SharedBank(new BankRef("vbank-imdb",
                VectorBankFile.sha256(file)), bank), file.length));
        double[] privateAcc = {0.90, 0.91, 0.92};
        double[] sharedAcc = {0.87, 0.88, 0.90};
        for (int i = 0; i < 3; i++) {
            r.add(new ResultsReport.Run(task, lora, i + 1, result(0.91, 73_728, 302_472, 30)));
            r.add(new ResultsReport.Run(task, vbQv, i + 1, result(privateAcc[i], 11_952, 52_964, 30)));
            r.add(new ResultsReport.Run(task, shared, i + 1, result(sharedAcc[i], 1_152, 3_480, 30)));
        }
        String md = r.render();
        // 2 tasks × 3 variants × 3 seeds, less the shared bank on its own source task
        assertThat(md).contains("9 of 15 runs done");
        assertThat(md).contains("| VB-LoRA qv, shared bank | — (this task's adapter is the bank source)");
        assertThat(md).contains("| VB-LoRA qv, shared bank | 0.8800 | — | 0.8700–0.9000 |");
        assertThat(md).contains("the VB-LoRA qv adapter trained on `imdb` with seed 1 is published as is and loaded "
                + "**frozen**");
        assertThat(md).contains("- Shared bank vs private bank (VB-LoRA qv): **loses** by 3.00 accuracy points "
                + "(median 0.8800 vs 0.9100; ranges 0.8700–0.9000 vs 0.9000–0.9200), with a bank trained on `imdb`, "
                + "frozen. Stored per adapter: 3,480 vs 52,964 bytes");
        long bankBytes = file.length;
        String expected = String.format(java.util.Locale.ROOT, "shared bank once + per-user adapters %.1f MB, private "
                + "VB-LoRA qv 529.6 MB, LoRA r=8 3024.7 MB", (bankBytes + 10_000L * 3_480) / 1e6);
        assertThat(md).contains("- Storage for 10,000 users (computed from the stored bytes): " + expected);
    }

    private static FineTuner.StoredEvaluation fp16(double acc, long bytes) {
        return new FineTuner.StoredEvaluation(FineTuner.FP16_STORAGE, bytes, null, new Evaluation(
                TaskType.CLASSIFICATION, 100, 0.5, acc, acc, 2 * acc - 1, Double.NaN, Double.NaN, Double.NaN));
    }

    @Test
    void fp16StoredAccuracyHasColumnsAPerDatasetLineAndASummary() {
        ResultsReport.Task amazon = new ResultsReport.Task("uci-amazon", "desc", TINY, TINY, 64, 1);
        ResultsReport.Task imdb = new ResultsReport.Task("uci-imdb", "desc", TINY, TINY, 64, 1);
        List<ResultsReport.Variant> all = ResultsReport.variants();
        ResultsReport.Variant head = all.get(0);
        ResultsReport.Variant vbQv = all.get(2);
        ResultsReport.Report r = new ResultsReport.Report("./mvnw ...", List.of(amazon, imdb), List.of(head, vbQv),
                new long[] {1, 2}, Instant.now(), "1");
        assertThat(r.render()).doesNotContain("fp16 storage changed accuracy");
        // amazon: head only unchanged, VB-LoRA seed 2 loses 1 point; imdb: one run gains 0.5 points
        r.add(new ResultsReport.Run(amazon, head, 1, result(0.80, 0, 3_859, 5), fp16(0.80, 2_319)));
        r.add(new ResultsReport.Run(amazon, head, 2, result(0.82, 0, 3_859, 5), fp16(0.82, 2_319)));
        r.add(new ResultsReport.Run(amazon, vbQv, 1, result(0.90, 11_952, 157_596, 20), fp16(0.90, 133_011)));
        r.add(new ResultsReport.Run(amazon, vbQv, 2, result(0.92, 11_952, 157_596, 20), fp16(0.91, 133_011)));
        r.add(new ResultsReport.Run(imdb, head, 1, result(0.70, 0, 3_859, 5), fp16(0.705, 2_319)));
        r.add(new ResultsReport.Run(imdb, head, 2, result(0.72, 0, 3_859, 5)));
        String md = r.render();
        assertThat(md).contains("fp16 storage changed accuracy by at most 1.00 points over 5 runs (largest: "
                + "uci-amazon, VB-LoRA qv, seed 2, -1.00; 2 of 5 runs changed at all; largest |Δ| test loss 0.0e+00).");
        assertThat(md.indexOf("fp16 storage changed accuracy")).isLessThan(md.indexOf("## Setup"));
        assertThat(md).contains("round-to-nearest-even").contains("the vector bank, LoRA's A and B, the top-k "
                + "weights and the head");
        assertThat(md).contains("| method | accuracy (median) | accuracy fp16-stored (median) | min–max over seeds |");
        assertThat(md).contains("| head only | 0.8100 | 0.8100 | 0.8000–0.8200 |");
        assertThat(md).contains("| VB-LoRA qv | 0.9100 | 0.9050 | 0.9000–0.9200 |");
        assertThat(md).contains("| 157,596 / 133,011 |").contains("| 3,859 / 2,319 |");
        assertThat(md).contains("| head only | 0.7100 | 0.7050 (1 of 2 runs) |");
        assertThat(md).contains("- fp16 storage: largest |Δ| accuracy fp16-stored vs fp32 over the 4 runs on "
                + "`uci-amazon` is 1.00 points (VB-LoRA qv, seed 2: 0.9100 vs 0.9200); 1 of 4 runs changed, mean |Δ| "
                + "0.25 points (largest |Δ| test loss 0.0e+00).");
        assertThat(md).contains("- fp16 storage: largest |Δ| accuracy fp16-stored vs fp32 over the 1 run on "
                + "`uci-imdb` is 0.50 points (head only, seed 1: 0.7050 vs 0.7000)");
        assertThat(md).contains("| uci-amazon | VB-LoRA qv | 2 | 0.9200 | 0.9100 (-1.00) |");
        assertThat(md).contains("| uci-imdb | head only | 2 | 0.7200 | — |");

        ResultsReport.Report same = new ResultsReport.Report("./mvnw ...", List.of(amazon), List.of(head),
                new long[] {1}, Instant.now(), "1");
        same.add(new ResultsReport.Run(amazon, head, 1, result(0.80, 0, 3_859, 5), fp16(0.80, 2_319)));
        assertThat(same.render()).contains("fp16 storage changed accuracy by at most 0.00 points over 1 run (no "
                + "run's accuracy changed;").contains("- fp16 storage: largest |Δ| accuracy fp16-stored vs fp32 over "
                + "the 1 run on `uci-amazon` is 0.00 points: no run's accuracy changed");
    }

    @Test
    void bf16RunsGetASummaryASectionPerTaskAndMethodAndAPairPerRun() {
        ResultsReport.Task amazon = new ResultsReport.Task("uci-amazon", "desc", TINY, TINY, 64, 1);
        List<ResultsReport.Variant> all = ResultsReport.variants();
        ResultsReport.Variant lora = all.get(1);
        ResultsReport.Variant vbQv = all.get(2);
        ResultsReport.Report r = new ResultsReport.Report("./mvnw ...", List.of(amazon), List.of(lora, vbQv),
                new long[] {1, 2}, Instant.now(), "2");
        r.add(new ResultsReport.Run(amazon, vbQv, 1, result(0.90, 11_952, 157_596, 20), null));
        assertThat(r.render()).doesNotContain("bf16");
        r.add(new ResultsReport.Run(amazon, vbQv, 2, result(0.92, 11_952, 157_596, 20), null,
                result(0.91, 11_952, 157_596, 11)));
        r.add(new ResultsReport.Run(amazon, lora, 1, result(0.80, 73_728, 302_494, 30), null,
                result(0.80, 73_728, 302_494, 16)));
        String md = r.render();
        assertThat(md).contains("fp32 (and every run again in bf16, below).");
        assertThat(md).contains("bf16 training (`precision: bf16`) changed accuracy by at most 1.00 points over 2 runs "
                + "(uci-amazon, VB-LoRA qv, seed 2: 0.9100 vs 0.9200 fp32); 1 of 2 runs changed at all, mean |Δ| 0.50 "
                + "points.");
        assertThat(md.indexOf("## bf16 training")).isGreaterThan(md.indexOf("## uci-amazon"))
                .isLessThan(md.indexOf("## Every run"));
        assertThat(md).contains("| uci-amazon | VB-LoRA qv | 0.9200 | 0.9100 | 1.00 | 20 / 11 | 1 |");
        assertThat(md).contains("| uci-amazon | LoRA r=8 (qv) | 0.8000 | 0.8000 | 0.00 | 30 / 16 | 1 |");
        assertThat(md).contains("| uci-amazon | VB-LoRA qv | 2 | 0.9200 / 0.9100 | -1.00 | 0.5000 / 0.5000 "
                + "| 0.6000 / 0.6000 | 20.0 / 11.0 |");
        assertThat(md).doesNotContain("| uci-amazon | VB-LoRA qv | 1 | 0.9000 /");
    }
}
