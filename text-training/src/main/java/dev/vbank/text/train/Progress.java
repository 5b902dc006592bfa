package dev.vbank.text.train;

import dev.vbank.vblora.model.ParamGroup;

import java.util.Map;

/**
 * One optimizer step as reported to a listener.
 *
 * @param epoch            fractional epoch reached (micro-batches done / micro-batches per epoch)
 * @param learningRates    the learning rate each group used in this step (base × schedule)
 * @param examplesPerSecond training examples per wall-clock second since this run (or resume) started
 * @param etaSeconds       remaining steps × mean step time so far
 */
public record Progress(long step, long totalSteps, double epoch, float loss, double gradNorm,
                       Map<ParamGroup, Double> learningRates, double examplesPerSecond, double etaSeconds) {
}
