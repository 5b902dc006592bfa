package dev.vbank.vblora.reference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reference material kept beside the repository ({@code ../shared/reference/...}), found through a system property that
 * may override it: absolute, or relative to the working directory or the repository root. Tests skip with a message
 * naming the property when it is absent.
 */
public final class SharedReference {
    private SharedReference() {
    }

    public static Path dir(String property, String defaultRelative) {
        String configured = System.getProperty(property);
        Path p = Path.of(configured == null || configured.isBlank() ? defaultRelative : configured);
        if (p.isAbsolute()) {
            return p.normalize();
        }
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> candidates = new ArrayList<>();
        candidates.add(cwd.resolve(p));
        for (Path d = cwd; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".mvn")) || Files.exists(d.resolve(".git"))) {
                candidates.add(d.resolve(p));
                break;
            }
        }
        return candidates.stream().filter(Files::isDirectory).findFirst()
                .orElse(candidates.get(candidates.size() - 1)).normalize();
    }

    public static String absent(String what, String property, Path resolved) {
        return what + " not found (" + property + "=" + System.getProperty(property) + ", resolved " + resolved
                + "): skipping";
    }
}
