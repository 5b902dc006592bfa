package dev.vbank.vblora.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.TrainableParameter;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, PyTorch's formulation) with per-group learning rate and weight decay, a shared schedule,
 * and gradient clipping by global norm. After each step the gradients are zeroed (DJL's collector never does it).
 * Deterministic: no randomness, fixed update order.
 */
public final class AdamW implements AutoCloseable {

    /** β1, β2, ε, and the clipping threshold (≤ 0: no clipping). */
    public record Options(double beta1, double beta2, double epsilon, double maxGradNorm) {
        public static Options defaults() {
            return new Options(0.9, 0.999, 1e-8, 1.0);
        }

        public Options {
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("adam_beta1: must be in [0, 1), was " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("adam_beta2: must be in [0, 1), was " + beta2);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("adam_epsilon: must be > 0, was " + epsilon);
            }
        }
    }

    /** What one step did: the gradient norm before clipping and the multiplier the schedule applied. */
    public record StepStats(long step, double gradNorm, double lrFactor, boolean clipped) {
    }

    private record Slot(TrainableParameter param, GroupSettings settings, NDArray m, NDArray v) {
    }

    private final NDManager manager;
    private final List<Slot> slots = new ArrayList<>();
    private final LrSchedule schedule;
    private final Options options;
    private long step;

    public AdamW(NDManager parent, List<TrainableParameter> params, Map<ParamGroup, GroupSettings> groups,
                 LrSchedule schedule, Options options) {
        this.manager = parent.newSubManager();
        this.schedule = schedule;
        this.options = options;
        for (TrainableParameter p : params) {
            GroupSettings s = groups.get(p.group());
            if (s == null) {
                manager.close();
                throw new IllegalArgumentException("param_groups: no settings for group " + p.group() + " (parameter "
                        + p.name() + ")");
            }
            slots.add(new Slot(p, s, manager.zeros(p.array().getShape()), manager.zeros(p.array().getShape())));
        }
    }

    /** Group settings with no weight decay on the bank and the logits, as VB-LoRA prescribes. */
    public static Map<ParamGroup, GroupSettings> vbloraGroups(double lrBank, double lrLogits, double lrHead,
                                                             double weightDecayHead) {
        Map<ParamGroup, GroupSettings> g = new EnumMap<>(ParamGroup.class);
        g.put(ParamGroup.VECTOR_BANK, new GroupSettings(lrBank, 0));
        g.put(ParamGroup.LOGITS, new GroupSettings(lrLogits, 0));
        g.put(ParamGroup.HEAD, new GroupSettings(lrHead, weightDecayHead));
        return g;
    }

    public static Map<ParamGroup, GroupSettings> loraGroups(double lrLora, double weightDecayLora, double lrHead,
                                                           double weightDecayHead) {
        Map<ParamGroup, GroupSettings> g = new EnumMap<>(ParamGroup.class);
        g.put(ParamGroup.LORA, new GroupSettings(lrLora, weightDecayLora));
        g.put(ParamGroup.HEAD, new GroupSettings(lrHead, weightDecayHead));
        return g;
    }

    public long stepCount() {
        return step;
    }

    /**
     * Applies one update from the gradients the last backward pass left, then zeroes them. Temporaries live in
     * {@code stepManager}. A non-finite gradient norm throws before any parameter changes (gradients are still zeroed).
     */
    public StepStats step(NDManager stepManager) {
        List<Slot> active = new ArrayList<>();
        List<NDArray> grads = new ArrayList<>();
        for (Slot s : slots) {
            for (NDArray a : new NDArray[] {s.param().array(), s.m(), s.v()}) {
                if (a.getManager() != stepManager) {
                    a.tempAttach(stepManager);
                }
            }
            NDArray g = gradientOrNull(s.param().array());
            if (g != null) {
                active.add(s);
                grads.add(g);
            }
        }
        try {
            double norm = globalNorm(grads);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException("gradient norm is not finite (" + norm + ") at optimizer step "
                        + (step + 1) + " (non-finite in: " + nonFinite(active, grads) + "); the update was skipped");
            }
            boolean clipped = options.maxGradNorm() > 0 && norm > options.maxGradNorm();
            if (clipped) {
                float scale = (float) (options.maxGradNorm() / (norm + 1e-6));
                for (NDArray g : grads) {
                    g.muli(scale);
                }
            }
            double factor = schedule.factor(step);
            step++;
            double bc1 = 1 - Math.pow(options.beta1(), step);
            double bc2 = 1 - Math.pow(options.beta2(), step);
            for (int i = 0; i < active.size(); i++) {
                update(active.get(i), grads.get(i), factor, bc1, bc2);
            }
            return new StepStats(step, norm, factor, clipped);
        } finally {
            for (int i = 0; i < active.size(); i++) {
                zero(active.get(i).param().array(), grads.get(i));
                grads.get(i).close();
            }
        }
    }

    private void update(Slot s, NDArray g, double factor, double bc1, double bc2) {
        double lr = s.settings().learningRate() * factor;
        float b1 = (float) options.beta1();
        float b2 = (float) options.beta2();
        NDArray p = s.param().array();
        s.m().muli(b1).addi(g.mul(1 - b1));
        s.v().muli(b2).addi(g.square().muli(1 - b2));
        if (s.settings().weightDecay() > 0 && lr > 0) {
            p.muli((float) (1 - lr * s.settings().weightDecay()));
        }
        if (lr > 0) {
            NDArray denom = s.v().sqrt().divi((float) Math.sqrt(bc2)).addi((float) options.epsilon());
            p.subi(s.m().div(denom).muli((float) (lr / bc1)));
        }
    }

    private static double globalNorm(List<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0;
        }
        NDList squares = new NDList();
        for (NDArray g : grads) {
            squares.add(g.square().sum());
        }
        try (NDArray stacked = NDArrays.stack(squares); NDArray total = stacked.sum()) {
            return Math.sqrt(total.getFloat());
        } finally {
            squares.close();
        }
    }

    private static String nonFinite(List<Slot> active, List<NDArray> grads) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < grads.size(); i++) {
            try (NDArray sq = grads.get(i).square(); NDArray sum = sq.sum()) {
                float v = sum.getFloat();
                if (!Float.isFinite(v)) {
                    names.add(active.get(i).param().name() + " (sum of squares " + v + ")");
                }
            }
        }
        return String.join(", ", names);
    }

    private static NDArray gradientOrNull(NDArray param) {
        if (!param.hasGradient()) {
            return null;
        }
        try {
            return param.getGradient();
        } catch (IllegalStateException | ai.djl.engine.EngineException e) {
            return null; // the parameter took no part in the last backward pass
        }
    }

    private static void zero(NDArray param, NDArray grad) {
        if (param instanceof PtNDArray pt) {
            JniUtils.zeroGrad(pt);
        } else {
            grad.muli(0);
        }
    }

    /** Zeroes every gradient without updating (e.g. after a step that is abandoned). */
    public void zeroGradients() {
        for (Slot s : slots) {
            NDArray g = gradientOrNull(s.param().array());
            if (g != null) {
                zero(s.param().array(), g);
                g.close();
            }
        }
    }

    /** First and second moments per parameter name ({@code <name>.exp_avg}, {@code <name>.exp_avg_sq}), for checkpoints. */
    public Map<String, Tensor> exportState() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Slot s : slots) {
            long[] shape = s.m().getShape().getShape();
            out.put(s.param().name() + ".exp_avg", new Tensor(shape, s.m().toFloatArray()));
            out.put(s.param().name() + ".exp_avg_sq", new Tensor(shape, s.v().toFloatArray()));
        }
        return out;
    }

    /** Restores moments saved by {@link #exportState()} and the step count (which drives bias correction and schedule). */
    public void importState(Map<String, Tensor> state, long stepCount) {
        if (stepCount < 0) {
            throw new IllegalArgumentException("step: must be >= 0, was " + stepCount);
        }
        for (Slot s : slots) {
            long[] shape = s.m().getShape().getShape();
            s.m().set(require(state, s.param().name() + ".exp_avg", shape).data());
            s.v().set(require(state, s.param().name() + ".exp_avg_sq", shape).data());
        }
        this.step = stepCount;
    }

    private static Tensor require(Map<String, Tensor> state, String name, long[] shape) {
        Tensor t = state.get(name);
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing from the optimizer state");
        }
        return t.requireShape(name, shape);
    }

    @Override
    public void close() {
        manager.close();
    }
}
