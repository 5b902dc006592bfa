package dev.vbank.text;

import java.nio.file.Path;

/** Where tests keep converted models and downloaded data: target/test-cache (set by the POM), shared across tests. */
public final class TestDirs {
    private TestDirs() {}

    public static Path cache() {
        return Path.of(System.getProperty("vbank.test.cache", "target/test-cache")).toAbsolutePath();
    }

    public static Path models() {
        return cache().resolve("models");
    }
}
