package dev.vbank.vblora.precision;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * dtype casts that DJL's API cannot express (bfloat16), done by the small JNI library the build compiles from
 * {@code src/main/native/vbank_dtype.cpp} when a C++ compiler is present. The casts are libtorch's own and autograd
 * records them, so gradients flow back through a bf16 section into fp32 parameters. DJL reports the dtype of a bf16
 * array as unknown; only ops that take no dtype argument (matMul, linear) may touch one.
 */
public final class NativeCasts {

    static final String RESOURCE = "/native/linux-x86_64/libvbank_dtype.so";
    private static final int FLOAT32 = 6;
    private static final int BFLOAT16 = 15;

    private static final Optional<String> UNAVAILABLE = load();

    private NativeCasts() {
    }

    /** Empty when bf16 casts work here; otherwise why not. */
    public static Optional<String> unavailableReason() {
        return UNAVAILABLE;
    }

    /** Throws {@link PrecisionUnavailableException} naming the reason when the casts cannot run here. */
    public static void require() {
        UNAVAILABLE.ifPresent(why -> {
            throw new PrecisionUnavailableException("bf16 is not available: " + why);
        });
    }

    /** {@code x} as bfloat16, a new array on {@code x}'s manager. */
    public static NDArray toBf16(NDArray x) {
        return cast(x, x.getManager(), BFLOAT16);
    }

    /** {@code x} as bfloat16, a new array on {@code manager}. */
    public static NDArray toBf16(NDArray x, NDManager manager) {
        return cast(x, manager, BFLOAT16);
    }

    /** {@code x} (any dtype) as float32, a new array on {@code x}'s manager. */
    public static NDArray toFp32(NDArray x) {
        return cast(x, x.getManager(), FLOAT32);
    }

    private static NDArray cast(NDArray x, NDManager manager, int scalarType) {
        require();
        long handle = cast(((PtNDArray) x).getHandle(), scalarType);
        return new PtNDArray((PtNDManager) manager, handle);
    }

    private static Optional<String> load() {
        try {
            Engine.getEngine("PyTorch");
        } catch (RuntimeException e) {
            return Optional.of("DJL's PyTorch engine does not start: " + e.getMessage());
        }
        Optional<Path> libtorch = loadedLibtorch();
        if (libtorch.isEmpty()) {
            return Optional.of("libtorch_cpu.so is not mapped into this process");
        }
        try (InputStream in = NativeCasts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return Optional.of("this build has no " + RESOURCE + " (it is compiled with g++ on Linux x86-64;"
                        + " rebuild vblora-core where g++ is installed)");
            }
            Path file = Files.createTempFile("vbank_dtype", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
        } catch (IOException | UnsatisfiedLinkError e) {
            return Optional.of("cannot load " + RESOURCE + ": " + e.getMessage());
        }
        return Optional.ofNullable(bind(libtorch.get().toString()));
    }

    /** The libtorch_cpu.so DJL loaded, read from this process's memory map (DJL may have extracted it anywhere). */
    private static Optional<Path> loadedLibtorch() {
        try {
            List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
            return maps.stream()
                    .map(line -> line.trim().split("\\s+", 6))
                    .filter(fields -> fields.length == 6 && fields[5].endsWith("/libtorch_cpu.so"))
                    .map(fields -> fields[5])
                    .findFirst()
                    .map(Path::of);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static native String bind(String libtorchPath);

    private static native long cast(long handle, int scalarType);
}
