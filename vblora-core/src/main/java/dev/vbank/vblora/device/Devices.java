package dev.vbank.vblora.device;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.Locale;

/**
 * Chooses the DJL {@link Device} that training and inference run on from a setting: {@code auto} (the first GPU when
 * the build has CUDA natives and a GPU is visible, else the CPU), {@code cpu}, or {@code gpu} (a GPU or a
 * {@link DeviceUnavailableException}). The chosen device is handed to whoever creates arrays (their base manager), so no
 * process-wide default is changed.
 */
public final class Devices {

    /** What a configuration may ask for. */
    public enum Choice {
        AUTO, CPU, GPU;

        /** {@code auto}, {@code cpu}, {@code gpu} (or {@code cuda}), in any case. */
        public static Choice parse(String setting) {
            String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
            return switch (s) {
                case "auto" -> AUTO;
                case "cpu" -> CPU;
                case "gpu", "cuda" -> GPU;
                default -> throw new DeviceUnavailableException("the device must be auto, cpu or gpu, was '" + setting
                        + "'");
            };
        }
    }

    private Devices() {
    }

    /** The device for {@code setting} on this build and machine; loads libtorch if it is not loaded yet. */
    public static Device select(String setting) {
        Choice choice = Choice.parse(setting);
        Engine engine;
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new DeviceUnavailableException("the PyTorch engine did not load: " + e.getMessage(), e);
        }
        return select(choice, engine.getGpuCount(), engine.hasCapability("CUDA"));
    }

    /**
     * The device for {@code choice} given what the engine reports: {@code gpus} visible GPUs, {@code cudaBuild} whether
     * the loaded libtorch has CUDA.
     */
    public static Device select(Choice choice, int gpus, boolean cudaBuild) {
        return switch (choice) {
            case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
            case CPU -> Device.cpu();
            case GPU -> {
                if (gpus == 0) {
                    throw new DeviceUnavailableException("a GPU was asked for but none is usable: " + (cudaBuild
                            ? "this build has CUDA natives but sees no GPU (driver, CUDA_VISIBLE_DEVICES?)"
                            : "this build has CPU natives only (build the worker with -Pcuda)"));
                }
                yield Device.gpu();
            }
        };
    }
}
