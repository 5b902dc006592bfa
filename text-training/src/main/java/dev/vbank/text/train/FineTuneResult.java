package dev.vbank.text.train;

import dev.vbank.vblora.format.Accounting;

import java.nio.file.Path;
import java.util.List;

/**
 * What a run produced.
 *
 * @param losses        the training loss of every optimizer step from step 1 (resumed runs include the restored ones)
 * @param final_        evaluation after the last step (null without validation data or when cancelled)
 * @param best          the best evaluation and its step; the exported adapter holds that state (else the last one)
 * @param adapterFile   compact adapter (fp32), null when cancelled
 * @param accounting    trainable / PEFT-savable counts and compact bytes of the exported adapter (fp32 file)
 * @param compactBytesFp16 size of the same adapter in the compact format with fp16 bank and weights
 * @param trainSeconds  wall time of the optimizer steps run in this call (evaluations and checkpoints excluded)
 */
public record FineTuneResult(Status status, long steps, long totalSteps, List<Float> losses,
                             List<Checkpoint.StepEvaluation> evaluations, Evaluation final_,
                             Checkpoint.StepEvaluation best, Path adapterFile, Accounting accounting,
                             long compactBytesFp16, double trainSeconds, Path lastCheckpoint) {

    public enum Status { COMPLETED, CANCELLED }
}
