package dev.vbank.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** cli/bin/vbank builds nothing: without the jar it says how to build it and exits 2. */
class LauncherScriptTest {

    @Test
    void missingJarTellsHowToBuildIt() throws Exception {
        Path script = Path.of("bin/vbank").toAbsolutePath();
        assertThat(script).isExecutable();
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("VBANK_CLI_JAR", "/nonexistent/vbank.jar");
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).isEqualTo(Exit.USAGE);
        assertThat(out).contains("/nonexistent/vbank.jar is not built").contains("./mvnw -pl cli -am package");
        assertThat(Files.exists(Path.of("/nonexistent"))).isFalse();
    }
}
