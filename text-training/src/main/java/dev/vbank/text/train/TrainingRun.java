package dev.vbank.text.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.model.BaseModel;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.method.AdapterMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.GroupSettings;
import dev.vbank.vblora.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The state of one {@link FineTuner} run: position, losses, evaluations, best state; one optimizer step at a time. */
final class TrainingRun {
    private final NDManager root;
    private final TrainingSpec spec;
    private final AdapterMethod method;
    private final JsonNode specJson;
    private final AdaptedEncoder model;
    private final AdamW opt;
    private final Trainer trainer;
    private final Map<ParamGroup, GroupSettings> groups;
    private final Batches trainBatches;
    private final Dataset validation;
    private final Batches evalBatches;
    private final Path outDir;
    private final FineTuner.RunOptions options;
    private final long total;
    private final int microPerEpoch;
    private final BaseModel bm;
    private final List<String> labels;

    private long step;
    private long micro;
    private final List<Float> losses = new ArrayList<>();
    private final List<Checkpoint.StepEvaluation> evaluations = new ArrayList<>();
    private Checkpoint.StepEvaluation best;
    private Map<String, Tensor> bestState;
    private Path lastCheckpoint;
    private long lastCheckpointNanos = System.nanoTime();
    private int openEpoch = -1;
    private Iterator<Batches.LabeledBatch> epochRows;

    TrainingRun(NDManager root, TrainingSpec spec, AdapterMethod method, JsonNode specJson, AdaptedEncoder model,
                AdamW opt, Map<ParamGroup, GroupSettings> groups, Batches trainBatches, Dataset validation,
                Batches evalBatches, Path outDir, FineTuner.RunOptions options, long total, int microPerEpoch,
                BaseModel bm, List<String> labels) {
        this.root = root;
        this.spec = spec;
        this.method = method;
        this.specJson = specJson;
        this.model = model;
        this.opt = opt;
        this.trainer = new Trainer(root, model, opt);
        this.groups = groups;
        this.trainBatches = trainBatches;
        this.validation = validation;
        this.evalBatches = evalBatches;
        this.outDir = outDir;
        this.options = options;
        this.total = total;
        this.microPerEpoch = microPerEpoch;
        this.bm = bm;
        this.labels = labels;
    }

    void restore(Checkpoint c) {
        if (c.microBatches() != c.step() * spec.gradientAccumulation() && c.step() != total) {
            throw new IllegalArgumentException("checkpoint position " + c.microBatches() + " does not match step "
                    + c.step());
        }
        step = c.step();
        micro = c.microBatches();
        losses.addAll(c.losses());
        evaluations.addAll(c.evaluations());
        best = c.best();
        bestState = c.bestModel();
    }

    FineTuneResult run() throws IOException {
        long started = System.nanoTime();
        long startStep = step;
        long examples = 0;
        double trainSeconds = 0;
        long lastEvalStep = evaluations.isEmpty() ? -1 : evaluations.get(evaluations.size() - 1).step();
        while (step < total) {
            if (options.cancelled().getAsBoolean()) {
                lastCheckpoint = checkpoint();
                return new FineTuneResult(FineTuneResult.Status.CANCELLED, step, total, List.copyOf(losses),
                        List.copyOf(evaluations), null, best, null, null, 0, trainSeconds, lastCheckpoint);
            }
            long t0 = System.nanoTime();
            int rows = trainStep();
            trainSeconds += (System.nanoTime() - t0) / 1e9;
            examples += rows;
            double elapsed = (System.nanoTime() - started) / 1e9;
            double perStep = trainSeconds / (step - startStep);
            Map<ParamGroup, Double> lrs = new EnumMap<>(ParamGroup.class);
            double factor = lastFactor;
            groups.forEach((g, s) -> lrs.put(g, s.learningRate() * factor));
            options.listener().onStep(new Progress(step, total, (double) micro / microPerEpoch,
                    losses.get(losses.size() - 1), lastGradNorm, lrs, examples / elapsed, perStep * (total - step)));
            if (validation != null && spec.evalEvery() > 0 && step % spec.evalEvery() == 0) {
                evaluate();
                lastEvalStep = step;
            }
            if ((spec.checkpointEvery() > 0 && step % spec.checkpointEvery() == 0)
                    || (step < total && options.checkpointDue(lastCheckpointNanos))) {
                lastCheckpoint = checkpoint();
            }
        }
        Evaluation fin = null;
        if (validation != null) {
            fin = lastEvalStep == step ? evaluations.get(evaluations.size() - 1).evaluation() : evaluate();
        }
        Map<String, Tensor> exported = bestState != null ? bestState : model.exportState();
        AdapterWeights adapter = adapterWeights(exported);
        Path file = outDir.resolve(FineTuner.ADAPTER_FILE);
        CompactFormat.Options stored = options.storageFor(adapter);
        CompactFormat.write(adapter, stored, file);
        Accounting acc = Accounting.of(adapter, stored);
        long fp16 = CompactFormat.write(adapter, CompactFormat.Options.FP16).length;
        return new FineTuneResult(FineTuneResult.Status.COMPLETED, step, total, List.copyOf(losses),
                List.copyOf(evaluations), fin, best, file, acc, fp16, trainSeconds, lastCheckpoint);
    }

    private double lastFactor;
    private double lastGradNorm;

    /** One optimizer step over {@code gradientAccumulation} micro-batches; returns the rows it trained on. */
    private int trainStep() {
        long end = step + 1 == total && spec.maxSteps() == 0
                ? (long) spec.epochs() * microPerEpoch
                : micro + spec.gradientAccumulation();
        int rows = 0;
        for (long m = micro; m < end; m++) {
            rows += trainBatches.rowsInBatch((int) (m % microPerEpoch));
        }
        List<Trainer.MicroBatch> batches = new ArrayList<>();
        for (; micro < end; micro++) {
            Batches.LabeledBatch lb = nextBatch();
            batches.add(new Trainer.MicroBatch(FineTuner.toCoreBatch(lb), (float) lb.batch().size() / rows,
                    FineTuner.rngSeed(spec.seed(), micro)));
        }
        Trainer.StepResult result = trainer.step(batches);
        lastFactor = result.stats().lrFactor();
        lastGradNorm = result.stats().gradNorm();
        step++;
        losses.add(result.loss());
        return rows;
    }

    private Batches.LabeledBatch nextBatch() {
        int epoch = (int) (micro / microPerEpoch);
        int index = (int) (micro % microPerEpoch);
        if (epoch != openEpoch || epochRows == null || !epochRows.hasNext()) {
            epochRows = trainBatches.epoch(spec.seed(), epoch, index).iterator();
            openEpoch = epoch;
        }
        return epochRows.next();
    }

    private Evaluation evaluate() throws IOException {
        Evaluation e = Evaluator.evaluate(root, model, validation, evalBatches);
        Checkpoint.StepEvaluation se = new Checkpoint.StepEvaluation(step, e);
        evaluations.add(se);
        if (best == null || e.primary() > best.evaluation().primary()) {
            best = se;
            bestState = model.exportState();
            Path dir = outDir.resolve(FineTuner.BEST_DIR);
            Files.createDirectories(dir);
            AdapterWeights bestAdapter = adapterWeights(bestState);
            CompactFormat.write(bestAdapter, options.storageFor(bestAdapter), dir.resolve(FineTuner.ADAPTER_FILE));
            Files.writeString(dir.resolve("evaluation.json"),
                    Checkpoint.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(se));
        }
        options.listener().onEvaluation(step, e);
        return e;
    }

    private Path checkpoint() throws IOException {
        lastCheckpointNanos = System.nanoTime();
        Path dir = outDir.resolve(FineTuner.CHECKPOINTS).resolve(String.format("step-%08d", step));
        new Checkpoint(step, micro, (int) (micro / microPerEpoch), (int) (micro % microPerEpoch), spec.seed(),
                List.copyOf(losses), List.copyOf(evaluations), best, specJson, model.exportState(),
                opt.exportState(), bestState).write(dir);
        options.listener().onCheckpoint(step, dir);
        return dir;
    }

    private AdapterWeights adapterWeights(Map<String, Tensor> state) {
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("trainer", "vbank FineTuner");
        provenance.put("method", method.id());
        provenance.put("seed", Long.toString(spec.seed()));
        provenance.put("steps", Long.toString(step));
        provenance.put(FineTuner.TASK, spec.task().name().toLowerCase());
        provenance.put(FineTuner.MAX_SEQ_LENGTH, Integer.toString(spec.maxSeqLength()));
        AdapterStates.Meta meta = new AdapterStates.Meta(bm.id(), bm.weightsSha256(), "SEQ_CLS", labels,
                provenance);
        return method.adapterWeights(state, meta);
    }
}
