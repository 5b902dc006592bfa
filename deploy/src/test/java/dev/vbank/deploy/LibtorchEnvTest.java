package dev.vbank.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** deploy/bin/lib/libtorch-env.sh, sourced into a clean bash the way the start scripts source it. */
class LibtorchEnvTest {

    private static final Path SCRIPT = Manifests.repoRoot().resolve("deploy/bin/lib/libtorch-env.sh");

    @Test
    void processSettingsDefaultButTheCallersValuesWin() throws Exception {
        Run defaults = run("libtorch_env; echo \"$OMP_WAIT_POLICY $MALLOC_MMAP_THRESHOLD_ $MALLOC_TRIM_THRESHOLD_\"",
                Map.of());
        assertThat(defaults.exit()).isZero();
        assertThat(defaults.out()).isEqualTo("PASSIVE 33554432 4294967296");

        Run callers = run("libtorch_env; echo \"$OMP_WAIT_POLICY $MALLOC_MMAP_THRESHOLD_ $MALLOC_TRIM_THRESHOLD_\"",
                Map.of("OMP_WAIT_POLICY", "ACTIVE", "MALLOC_MMAP_THRESHOLD_", "131072"));
        assertThat(callers.out()).isEqualTo("ACTIVE 131072 4294967296");
    }

    @Test
    void preloadIsTcmallocWhereInstalledUnlessGlibcIsAskedFor() throws Exception {
        Run auto = run("libtorch_preload", Map.of());
        assertThat(auto.exit()).isZero();
        Run required = run("libtorch_preload", Map.of("VBANK_ALLOCATOR", "tcmalloc"));
        if (auto.out().isEmpty()) {
            assertThat(required.exit()).as("tcmalloc is not installed here, so requiring it fails").isEqualTo(1);
            assertThat(required.err()).contains("VBANK_ALLOCATOR=tcmalloc", "apt-get install libtcmalloc-minimal4");
        } else {
            assertThat(Path.of(auto.out())).isRegularFile();
            assertThat(Path.of(auto.out()).getFileName()).hasToString("libtcmalloc_minimal.so.4");
            assertThat(required.exit()).isZero();
            assertThat(required.out()).isEqualTo(auto.out());
        }

        Run glibc = run("libtorch_preload", Map.of("VBANK_ALLOCATOR", "glibc"));
        assertThat(glibc.exit()).isZero();
        assertThat(glibc.out()).as("glibc: nothing preloaded").isEmpty();

        Run own = run("libtorch_preload", Map.of("LD_PRELOAD", "/opt/own/libmine.so", "VBANK_ALLOCATOR", "tcmalloc"));
        assertThat(own.exit()).isZero();
        assertThat(own.out()).as("a caller's own LD_PRELOAD stays").isEqualTo("/opt/own/libmine.so");
    }

    @Test
    void anUnknownAllocatorIsRefusedNamingTheVariable() throws Exception {
        Run bogus = run("libtorch_preload", Map.of("VBANK_ALLOCATOR", "jemalloc"));
        assertThat(bogus.exit()).isEqualTo(1);
        assertThat(bogus.out()).isEmpty();
        assertThat(bogus.err()).contains("VBANK_ALLOCATOR must be auto, tcmalloc or glibc, not 'jemalloc'");
    }

    private record Run(int exit, String out, String err) {
    }

    /** {@code body} after sourcing the script in a bash whose environment is PATH plus {@code env}. */
    private static Run run(String body, Map<String, String> env) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "-c", ". \"$0\"; " + body, SCRIPT.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }
}
