package dev.vbank.text.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Converts base models into the cache directory ahead of time.
 * Usage: {@code ConvertBaseModels [--dir DIR] [model-id ...]} (default: every registered model, directory as in
 * {@link BaseModelStore#defaultDirectory()}).
 */
public final class ConvertBaseModels {
    private ConvertBaseModels() {}

    public static void main(String[] args) throws Exception {
        Path dir = BaseModelStore.defaultDirectory();
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--dir") && i + 1 < args.length) {
                dir = Path.of(args[++i]);
            } else {
                ids.add(args[i]);
            }
        }
        BaseModelStore store = new BaseModelStore(dir);
        List<BaseModel> models = ids.isEmpty() ? BaseModels.all() : ids.stream().map(BaseModels::get).toList();
        for (BaseModel m : models) {
            long t0 = System.nanoTime();
            Path p = store.ensureConverted(m);
            System.out.printf("%s -> %s (%d bytes, sha256 %s, %.1f s)%n", m.id(), p, Files.size(p), m.weightsSha256(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
