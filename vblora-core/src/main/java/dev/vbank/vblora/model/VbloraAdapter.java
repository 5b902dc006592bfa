package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.layer.Init;
import dev.vbank.vblora.layer.OwnedArrays;
import dev.vbank.vblora.layer.TopkSelection;
import dev.vbank.vblora.layer.VbloraOps;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * VB-LoRA on many modules at once. The logits of every adapted module are packed, row by row, into one trainable
 * (N, h) array, so one top-k, one softmax and one gather compose all A and B of a step from the shared bank.
 * <p>
 * State names: {@value #BANK} (h, b), and per HF module path {@code <path>.vblora_logits_A} (r, in/b, h) and
 * {@code <path>.vblora_logits_B} (out/b, r, h).
 */
public final class VbloraAdapter implements Adapter {

    public static final String BANK = "vblora_vector_bank";

    private record Slot(ModuleShape module, int offsetA, int rowsA, int offsetB, int rowsB) {
    }

    /** Logit given to bank vectors outside a stored top-k selection: far below any log-weight, still finite. */
    private static final float UNSELECTED_LOGIT = -1e30f;
    /** Floor for log-weights, so a weight that underflowed to 0 still ranks above the unselected vectors. */
    private static final float MIN_LOG_WEIGHT = -1e4f;

    private final VbloraConfig config;
    private final NDManager manager;
    private boolean trainable = true;
    private boolean frozenBank;
    private final NDArray bank;
    private final NDArray packedLogits;
    private final Map<String, Slot> slots;

    private VbloraAdapter(VbloraConfig config, NDManager manager, NDArray bank, NDArray packedLogits,
                          Map<String, Slot> slots) {
        this.config = config;
        this.manager = manager;
        this.bank = bank;
        this.packedLogits = packedLogits;
        this.slots = slots;
        bank.setRequiresGradient(true);
        packedLogits.setRequiresGradient(true);
    }

    public static String logitsAName(String modulePath) {
        return modulePath + ".vblora_logits_A";
    }

    public static String logitsBName(String modulePath) {
        return modulePath + ".vblora_logits_B";
    }

    /** Fresh adapter: bank ~ U(−bound, bound), logits ~ N(0, std²), drawn from {@code seed}. */
    public static VbloraAdapter create(NDManager parent, VbloraConfig config, List<ModuleShape> encoderModules,
                                       long seed) {
        Map<String, Slot> slots = layout(config, encoderModules);
        Random random = new Random(seed);
        int h = config.numVectors();
        float[] bank = Init.uniform(random, (long) h * config.vectorLength(), config.initVectorBankBound());
        float[] logits = Init.normal(random, (long) totalRows(slots) * h, config.initLogitsStd());
        return build(parent, config, slots, bank, logits);
    }

    /**
     * Fresh logits ~ N(0, std²) drawn from {@code seed} (the same draws as {@link #create} makes after its bank) on the
     * given frozen {@code bank} (h, b), which is not trained.
     */
    public static VbloraAdapter createOnFrozenBank(NDManager parent, VbloraConfig config, List<ModuleShape> encoderModules,
                                                   long seed, Tensor bank) {
        Map<String, Slot> slots = layout(config, encoderModules);
        int h = config.numVectors();
        bank.requireShape(BANK, h, config.vectorLength());
        Random random = new Random(seed);
        Init.uniform(random, (long) h * config.vectorLength(), config.initVectorBankBound());
        float[] logits = Init.normal(random, (long) totalRows(slots) * h, config.initLogitsStd());
        return build(parent, config, slots, bank.data(), logits).freezeBank();
    }

    /** Marks the bank frozen: no gradient, not among {@link #parameters()}. */
    public VbloraAdapter freezeBank() {
        frozenBank = true;
        bank.setRequiresGradient(false);
        return this;
    }

    public boolean bankFrozen() {
        return frozenBank;
    }

    /** Adapter from saved state (names as in {@link #exportState()}); shapes are checked against the config. */
    public static VbloraAdapter fromState(NDManager parent, VbloraConfig config, List<ModuleShape> encoderModules,
                                          Map<String, Tensor> state) {
        Map<String, Slot> slots = layout(config, encoderModules);
        int h = config.numVectors();
        int b = config.vectorLength();
        int r = config.r();
        float[] bank = require(state, BANK, h, b).data();
        float[] logits = new float[totalRows(slots) * h];
        for (Slot s : slots.values()) {
            String p = s.module().path();
            Tensor a = require(state, logitsAName(p), r, s.module().in() / b, h);
            Tensor bt = require(state, logitsBName(p), s.module().out() / b, r, h);
            System.arraycopy(a.data(), 0, logits, s.offsetA() * h, a.numel());
            System.arraycopy(bt.data(), 0, logits, s.offsetB() * h, bt.numel());
        }
        return build(parent, config, slots, bank, logits);
    }

    /**
     * Adapter for inference and merging from top-k selections only (a {@code save_only_topk_weights} file): each
     * sub-vector's logits are set to ln(weight) at its k stored indices and far below elsewhere, so top-k picks the same
     * vectors and the softmax returns the stored weights. {@code selections} maps each module path to its A (r, in/b, k)
     * and B (out/b, r, k) selections. Such an adapter cannot be trained.
     */
    public static VbloraAdapter fromTopk(NDManager parent, VbloraConfig config, List<ModuleShape> encoderModules,
                                         Tensor bank, Map<String, TopkSelection[]> selections) {
        Map<String, Slot> slots = layout(config, encoderModules);
        int h = config.numVectors();
        int b = config.vectorLength();
        int r = config.r();
        bank.requireShape(BANK, h, b);
        float[] logits = new float[totalRows(slots) * h];
        java.util.Arrays.fill(logits, UNSELECTED_LOGIT);
        for (Slot s : slots.values()) {
            String p = s.module().path();
            TopkSelection[] sel = selections.get(p);
            if (sel == null || sel.length != 2 || sel[0] == null || sel[1] == null) {
                throw new IllegalArgumentException(p + ": missing top-k selections for A and B");
            }
            fillFromTopk(logits, s.offsetA(), sel[0], new long[] {r, s.module().in() / b, config.topk()}, h,
                    logitsAName(p));
            fillFromTopk(logits, s.offsetB(), sel[1], new long[] {s.module().out() / b, r, config.topk()}, h,
                    logitsBName(p));
        }
        VbloraAdapter adapter = build(parent, config, slots, bank.data(), logits);
        adapter.trainable = false;
        return adapter;
    }

    private static void fillFromTopk(float[] logits, int rowOffset, TopkSelection sel, long[] shape, int h,
                                     String name) {
        if (!java.util.Arrays.equals(sel.shape(), shape)) {
            throw new IllegalArgumentException(name + ": top-k selection shape " + java.util.Arrays.toString(sel.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
        int k = sel.k();
        for (int sub = 0; sub < sel.numSubvectors(); sub++) {
            for (int j = 0; j < k; j++) {
                long idx = sel.indices()[sub * k + j];
                if (idx < 0 || idx >= h) {
                    throw new IllegalArgumentException(name + ": top-k index " + idx + " outside [0, " + h + ")");
                }
                float w = sel.weights()[sub * k + j];
                if (!(w >= 0) || !Float.isFinite(w)) {
                    throw new IllegalArgumentException(name + ": top-k weight " + w + " is not a finite weight >= 0");
                }
                logits[(rowOffset + sub) * h + (int) idx] = Math.max(MIN_LOG_WEIGHT, (float) Math.log(w));
            }
        }
    }

    /** False for an adapter rebuilt from top-k selections only. */
    @Override
    public boolean trainable() {
        return trainable;
    }

    private static Tensor require(Map<String, Tensor> state, String name, long... shape) {
        Tensor t = state.get(name);
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing from the VB-LoRA state");
        }
        return t.requireShape(name, shape);
    }

    private static VbloraAdapter build(NDManager parent, VbloraConfig config, Map<String, Slot> slots, float[] bank,
                                       float[] logits) {
        NDManager manager = parent.newSubManager();
        int h = config.numVectors();
        NDArray bankArray = OwnedArrays.of(manager, bank, new Shape(h, config.vectorLength()));
        NDArray logitsArray = OwnedArrays.of(manager, logits, new Shape(totalRows(slots), h));
        return new VbloraAdapter(config, manager, bankArray, logitsArray, slots);
    }

    private static Map<String, Slot> layout(VbloraConfig config, List<ModuleShape> encoderModules) {
        List<ModuleShape> adapted = config.validateAgainst(encoderModules);
        Map<String, Slot> slots = new LinkedHashMap<>();
        int row = 0;
        int b = config.vectorLength();
        for (ModuleShape m : adapted) {
            int rowsA = config.r() * (m.in() / b);
            int rowsB = (m.out() / b) * config.r();
            slots.put(m.path(), new Slot(m, row, rowsA, row + rowsA, rowsB));
            row += rowsA + rowsB;
        }
        return slots;
    }

    private static int totalRows(Map<String, Slot> slots) {
        int n = 0;
        for (Slot s : slots.values()) {
            n += s.rowsA() + s.rowsB();
        }
        return n;
    }

    public VbloraConfig config() {
        return config;
    }

    public NDArray bank() {
        return bank;
    }

    /** All modules' logits, (N, h), rows of each module's logits_A then logits_B in {@link #modulePaths()} order. */
    public NDArray packedLogits() {
        return packedLogits;
    }

    @Override
    public AdapterKind kind() {
        return AdapterKind.VBLORA;
    }

    @Override
    public List<String> modulePaths() {
        return List.copyOf(slots.keySet());
    }

    @Override
    public List<TrainableParameter> parameters() {
        if (frozenBank) {
            return List.of(new TrainableParameter("vblora_logits", packedLogits, ParamGroup.LOGITS));
        }
        return List.of(new TrainableParameter(BANK, bank, ParamGroup.VECTOR_BANK),
                new TrainableParameter("vblora_logits", packedLogits, ParamGroup.LOGITS));
    }

    @Override
    public List<NDArray> frozenArrays() {
        return frozenBank ? List.of(bank) : List.of();
    }

    @Override
    public Pass begin(boolean training) {
        NDArray composed = VbloraOps.compose(bank, packedLogits, config.topk());
        Map<String, NDArray[]> factors = new HashMap<>();
        for (Slot s : slots.values()) {
            factors.put(s.module().path(), factors(composed, s));
        }
        float dropout = training ? (float) config.dropout() : 0f;
        return Adapter.perModule(factors, dropout, (ab, input) -> Linear.linear(
                Linear.linear(input, ab[0]).singletonOrThrow(), ab[1]).singletonOrThrow());
    }

    /** A (r, in) and B (out, r) of one module, sliced from the composed (N, b) rows of every module. */
    private NDArray[] factors(NDArray composed, Slot s) {
        int b = config.vectorLength();
        int r = config.r();
        ModuleShape m = s.module();
        // rows [offsetA, offsetA + r·in/b) of (N, b) → A's sub-vectors (r, in/b, b)
        NDArray subA = composed.get(new NDIndex("{}:{}", s.offsetA(), s.offsetA() + s.rowsA()))
                .reshape(r, m.in() / b, b);
        // rows [offsetB, offsetB + out/b·r) of (N, b) → B's sub-vectors (out/b, r, b)
        NDArray subB = composed.get(new NDIndex("{}:{}", s.offsetB(), s.offsetB() + s.rowsB()))
                .reshape(m.out() / b, r, b);
        return new NDArray[] {VbloraOps.toA(subA), VbloraOps.toB(subB)};
    }

    /** A (r, in) and B (out, r) of one module, composed as a forward pass does; the caller closes both. */
    @Override
    public NDArray[] factors(String modulePath) {
        Slot s = slot(modulePath);
        try (NDManager scratch = manager.newSubManager()) {
            bank.tempAttach(scratch);
            packedLogits.tempAttach(scratch);
            NDArray composed = VbloraOps.compose(bank, packedLogits, config.topk());
            NDArray[] ab = factors(composed, s);
            ab[0].attach(manager);
            ab[1].attach(manager);
            return ab;
        }
    }

    private Slot slot(String modulePath) {
        Slot s = slots.get(modulePath);
        if (s == null) {
            throw new IllegalArgumentException(modulePath + ": not adapted by this VB-LoRA adapter");
        }
        return s;
    }

    @Override
    public NDArray deltaWeight(String modulePath) {
        NDArray[] ab = factors(modulePath);
        try (NDArray a = ab[0]; NDArray b = ab[1]) {
            return VbloraOps.deltaWeight(a, b);
        }
    }

    /** The top-k selection of one module's logits_A (r, in/b, k). */
    public TopkSelection topkA(String modulePath) {
        Slot s = slot(modulePath);
        return topkOf(s.offsetA(), s.rowsA(), new long[] {config.r(), s.module().in() / config.vectorLength()});
    }

    /** The top-k selection of one module's logits_B (out/b, r, k). */
    public TopkSelection topkB(String modulePath) {
        Slot s = slot(modulePath);
        return topkOf(s.offsetB(), s.rowsB(), new long[] {s.module().out() / config.vectorLength(), config.r()});
    }

    private TopkSelection topkOf(int offset, int rows, long[] leading) {
        try (NDManager scratch = manager.newSubManager()) {
            packedLogits.tempAttach(scratch);
            NDArray part = packedLogits.get(new NDIndex("{}:{}", offset, offset + rows))
                    .reshape(leading[0], leading[1], config.numVectors());
            return VbloraOps.topk(part, config.topk());
        }
    }

    @Override
    public Map<String, Tensor> exportState() {
        int h = config.numVectors();
        int b = config.vectorLength();
        int r = config.r();
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(BANK, new Tensor(new long[] {h, b}, bank.toFloatArray()));
        float[] logits = packedLogits.toFloatArray();
        for (Slot s : slots.values()) {
            ModuleShape m = s.module();
            out.put(logitsAName(m.path()), new Tensor(new long[] {r, m.in() / b, h},
                    java.util.Arrays.copyOfRange(logits, s.offsetA() * h, (s.offsetA() + s.rowsA()) * h)));
            out.put(logitsBName(m.path()), new Tensor(new long[] {m.out() / b, r, h},
                    java.util.Arrays.copyOfRange(logits, s.offsetB() * h, (s.offsetB() + s.rowsB()) * h)));
        }
        return out;
    }

    /** Number of trainable values (bank + all logits; only the logits on a frozen bank). */
    public long trainableCount() {
        return (frozenBank ? 0 : bank.size()) + packedLogits.size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
