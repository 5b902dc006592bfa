package dev.vbank.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The platform as {@code deploy/bin/vbank-local} runs it (infrastructure JVM + five service JVMs) in a fresh data
 * directory under {@code target/}. Remembers every pid it saw so that {@link #down()} can check none survives.
 */
final class LocalPlatform {

    static final List<String> SERVICES = List.of("api-gateway", "job-scheduler", "gpu-worker", "artifact-service",
            "inference-service");
    static final List<String> COMPONENTS = java.util.stream.Stream.concat(java.util.stream.Stream.of("infra"),
            SERVICES.stream()).toList();
    static final int[] PORTS = {8080, 8081, 8082, 8083, 8084, 54320, 19092, 19000};
    static final String GATEWAY = "http://127.0.0.1:8080";

    final Path repo;
    final Path script;
    final Path dataDir;
    final String adminToken = "e2e-admin-" + UUID.randomUUID();
    final Map<String, String> env = new LinkedHashMap<>();
    final List<Long> seenPids = new ArrayList<>();

    LocalPlatform(String name) throws IOException {
        repo = Path.of(System.getProperty("vbank.repo.root", "..")).toAbsolutePath().normalize();
        script = repo.resolve("deploy/bin/vbank-local");
        Path base = repo.resolve("e2e-tests/target/platform");
        Files.createDirectories(base);
        dataDir = Files.createTempDirectory(base, name + "-");
        env.put("VBANK_ADMIN_TOKEN", adminToken);
        // libtorch's OpenMP threads spin-wait by default, which costs ~10x per step on a small shared machine
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        // glibc keeps freed tensor memory for reuse instead of unmapping it (docs/BENCHMARKS.md, "malloc")
        env.put("MALLOC_MMAP_THRESHOLD_", "33554432");
        env.put("MALLOC_TRIM_THRESHOLD_", "4294967296");
        // every step reported, so the tests see the whole loss curve
        env.put("VBANK_WORKER_PROGRESS_INTERVAL", "0s");
    }

    /** A platform brought up for a test class; the class is skipped where {@code vbank.e2e.skip} is set. */
    static LocalPlatform started(String name) throws Exception {
        Assumptions.assumeFalse(skipped(), "vbank.e2e.skip=true");
        LocalPlatform platform = new LocalPlatform(name);
        Result r = platform.up();
        assertThat(r.exit()).as("vbank-local up:\n" + r.output()).isZero();
        return platform;
    }

    static boolean skipped() {
        return Boolean.getBoolean("vbank.e2e.skip");
    }

    /** Ports the platform needs that something else holds, as "port" strings. */
    static List<Integer> takenPorts() {
        List<Integer> taken = new ArrayList<>();
        for (int p : PORTS) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p), 300);
                taken.add(p);
            } catch (IOException e) {
                // free
            }
        }
        return taken;
    }

    void checkBuilt() {
        List<String> missing = new ArrayList<>();
        for (String s : SERVICES) {
            if (!Files.isRegularFile(repo.resolve(s + "/target/quarkus-app/quarkus-run.jar"))) {
                missing.add(s + "/target/quarkus-app/quarkus-run.jar");
            }
        }
        if (!Files.isRegularFile(repo.resolve("deploy/target/vbank-deploy.jar"))) {
            missing.add("deploy/target/vbank-deploy.jar");
        }
        assertThat(missing).as("service jars (build them first: ./mvnw -B -pl e2e-tests -am verify)").isEmpty();
    }

    Result up() throws Exception {
        checkBuilt();
        snapshotApps();
        assertThat(takenPorts()).as("ports the platform needs must be free (a vbank-local from elsewhere?)").isEmpty();
        removeEarlierRuns();
        Result r = launcher(Duration.ofMinutes(8), "up", "--no-build", "--timeout", "420");
        recordPids();
        return r;
    }

    /** Data directories of earlier runs of the same test (~400 MB each: S3 holds the seeded base models). */
    void removeEarlierRuns() throws IOException {
        String prefix = dataDir.getFileName().toString().replaceAll("-[0-9]+$", "-");
        try (Stream<Path> dirs = Files.list(dataDir.getParent())) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(prefix) && !d.equals(dataDir)).toList()) {
                try (Stream<Path> all = Files.walk(d)) {
                    all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /**
     * Runs the services from a snapshot of their {@code target/quarkus-app} (hard links where possible) under the data
     * directory, through the launcher's {@code VBANK_APPS_DIR}: a rebuild of the working tree while the platform runs
     * (another shell, an IDE) replaces jars the running JVMs still load classes from.
     */
    void snapshotApps() throws IOException {
        Path apps = dataDir.resolve("apps");
        for (String s : SERVICES) {
            Path from = repo.resolve(s + "/target/quarkus-app");
            Path to = apps.resolve(s + "/quarkus-app");
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path t = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(t);
                    } else {
                        try {
                            Files.createLink(t, f);
                        } catch (IOException | UnsupportedOperationException e) {
                            Files.copy(f, t);
                        }
                    }
                }
            }
        }
        env.put("VBANK_APPS_DIR", apps.toString());
    }

    Result launcher(Duration timeout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(script.toString());
        cmd.add(args[0]);
        cmd.add("--data-dir");
        cmd.add(dataDir.toString());
        cmd.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = dataDir.resolve("launcher-" + args[0] + "-" + System.nanoTime() + ".log");
        pb.redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("vbank-local " + String.join(" ", args) + " ran over " + timeout + ":\n"
                    + Files.readString(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        long secs = (System.nanoTime() - t0) / 1_000_000_000L;
        System.out.printf("[e2e] vbank-local %s: exit %d after %d s%n%s%n", String.join(" ", args), p.exitValue(), secs,
                out.indent(4));
        return new Result(p.exitValue(), out, secs);
    }

    record Result(int exit, String output, long seconds) {
    }

    Optional<Long> pid(String component) {
        Path f = dataDir.resolve("run/" + component + ".pid");
        try {
            String s = Files.readString(f).replaceAll("[^0-9]", "");
            return s.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(s));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Pids of the five JVMs and PostgreSQL's postmaster, kept for the no-survivor check. */
    void recordPids() {
        for (String c : COMPONENTS) {
            pid(c).filter(p -> !seenPids.contains(p)).ifPresent(seenPids::add);
        }
        Path pm = dataDir.resolve("postgres/postmaster.pid");
        try {
            String first = Files.readAllLines(pm).get(0).strip();
            long p = Long.parseLong(first);
            if (!seenPids.contains(p)) {
                seenPids.add(p);
            }
        } catch (IOException | RuntimeException e) {
            // not there (yet)
        }
    }

    String log(String component) {
        try {
            return Files.readString(dataDir.resolve("logs/" + component + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops everything and asserts that no process this platform ever started is left and the ports are free. */
    void down() throws Exception {
        recordPids();
        Result r = launcher(Duration.ofMinutes(4), "down");
        List<Long> alive = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        do {
            alive.clear();
            for (long p : seenPids) {
                ProcessHandle.of(p).filter(ProcessHandle::isAlive).ifPresent(h -> alive.add(p));
            }
            if (alive.isEmpty()) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        for (long p : alive) { // leave nothing behind even when the assertion below fails
            ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
        }
        assertThat(r.exit()).as("vbank-local down exit status:\n" + r.output()).isZero();
        assertThat(alive).as("processes left after down (of %s)", seenPids).isEmpty();
        assertThat(takenPorts()).as("ports still taken after down").isEmpty();
    }

    /** Files under the S3 store (s3proxy's filesystem backend) below a key prefix. */
    List<Path> s3Objects(String keyPrefix) throws IOException {
        Path root = dataDir.resolve("s3");
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).filter(p -> root.relativize(p).toString().contains(keyPrefix)).forEach(out::add);
        }
        return out;
    }
}
