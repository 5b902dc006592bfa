package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.layer.Init;
import dev.vbank.vblora.layer.OwnedArrays;
import dev.vbank.vblora.layer.Scalars;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Classic LoRA: y = x Wᵀ + bias + (alpha / r) · (dropout(x) Aᵀ) Bᵀ with A (r, in) Kaiming-uniform (bound 1/√in, PEFT's
 * a = √5) and B (out, r) zero. State names: {@code <path>.lora_A} (r, in) and {@code <path>.lora_B} (out, r).
 */
public final class LoraAdapter implements Adapter {

    private record Module(ModuleShape shape, NDArray a, NDArray b) {
    }

    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, Module> modules;
    private final float scaling;

    private LoraAdapter(LoraConfig config, NDManager manager, Map<String, Module> modules) {
        this.config = config;
        this.manager = manager;
        this.modules = modules;
        this.scaling = (float) (config.alpha() / config.r());
        for (Module m : modules.values()) {
            m.a().setRequiresGradient(true);
            m.b().setRequiresGradient(true);
        }
    }

    public static String loraAName(String modulePath) {
        return modulePath + ".lora_A";
    }

    public static String loraBName(String modulePath) {
        return modulePath + ".lora_B";
    }

    public static LoraAdapter create(NDManager parent, LoraConfig config, List<ModuleShape> encoderModules, long seed) {
        List<ModuleShape> adapted = adaptedModules(config, encoderModules);
        Random random = new Random(seed);
        NDManager manager = parent.newSubManager();
        Map<String, Module> modules = new LinkedHashMap<>();
        for (ModuleShape m : adapted) {
            NDArray a = OwnedArrays.of(manager, Init.uniform(random, (long) config.r() * m.in(), 1.0 / Math.sqrt(m.in())),
                    new Shape(config.r(), m.in()));
            NDArray b = manager.zeros(new Shape(m.out(), config.r()));
            modules.put(m.path(), new Module(m, a, b));
        }
        return new LoraAdapter(config, manager, modules);
    }

    public static LoraAdapter fromState(NDManager parent, LoraConfig config, List<ModuleShape> encoderModules,
                                        Map<String, Tensor> state) {
        List<ModuleShape> adapted = adaptedModules(config, encoderModules);
        NDManager manager = parent.newSubManager();
        Map<String, Module> modules = new LinkedHashMap<>();
        try {
            for (ModuleShape m : adapted) {
                Tensor a = require(state, loraAName(m.path()), config.r(), m.in());
                Tensor b = require(state, loraBName(m.path()), m.out(), config.r());
                modules.put(m.path(), new Module(m, OwnedArrays.of(manager, a.data(), new Shape(a.shape())),
                        OwnedArrays.of(manager, b.data(), new Shape(b.shape()))));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new LoraAdapter(config, manager, modules);
    }

    private static Tensor require(Map<String, Tensor> state, String name, long... shape) {
        Tensor t = state.get(name);
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing from the LoRA state");
        }
        return t.requireShape(name, shape);
    }

    private static List<ModuleShape> adaptedModules(LoraConfig config, List<ModuleShape> encoderModules) {
        List<ModuleShape> adapted = new ArrayList<>();
        for (ModuleShape m : encoderModules) {
            if (config.adapts(m.path())) {
                adapted.add(m);
            }
        }
        if (adapted.isEmpty()) {
            throw new IllegalArgumentException("target_modules: '" + config.targetModules().spec()
                    + "' (layers_to_transform " + config.layersToTransform() + ") matches no module of the model");
        }
        return adapted;
    }

    public LoraConfig config() {
        return config;
    }

    public float scaling() {
        return scaling;
    }

    @Override
    public AdapterKind kind() {
        return AdapterKind.LORA;
    }

    @Override
    public List<String> modulePaths() {
        return List.copyOf(modules.keySet());
    }

    @Override
    public List<TrainableParameter> parameters() {
        List<TrainableParameter> out = new ArrayList<>();
        for (Module m : modules.values()) {
            out.add(new TrainableParameter(loraAName(m.shape().path()), m.a(), ParamGroup.LORA));
            out.add(new TrainableParameter(loraBName(m.shape().path()), m.b(), ParamGroup.LORA));
        }
        return out;
    }

    @Override
    public Pass begin(boolean training) {
        float dropout = training ? (float) config.dropout() : 0f;
        return Adapter.perModule(modules, dropout, (m, input) -> Linear.linear(
                Scalars.mul(Linear.linear(input, m.a()).singletonOrThrow(), scaling), m.b()).singletonOrThrow());
    }

    @Override
    public NDArray deltaWeight(String modulePath) {
        Module m = module(modulePath);
        try (NDArray ba = m.b().matMul(m.a())) {
            return ba.mul(scaling);
        }
    }

    @Override
    public NDArray[] factors(String modulePath) {
        Module m = module(modulePath);
        return new NDArray[] {m.a().duplicate(), m.b().mul(scaling)};
    }

    private Module module(String modulePath) {
        Module m = modules.get(modulePath);
        if (m == null) {
            throw new IllegalArgumentException(modulePath + ": not adapted by this LoRA adapter");
        }
        return m;
    }

    @Override
    public Map<String, Tensor> exportState() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Module m : modules.values()) {
            out.put(loraAName(m.shape().path()), new Tensor(m.a().getShape().getShape(), m.a().toFloatArray()));
            out.put(loraBName(m.shape().path()), new Tensor(m.b().getShape().getShape(), m.b().toFloatArray()));
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
