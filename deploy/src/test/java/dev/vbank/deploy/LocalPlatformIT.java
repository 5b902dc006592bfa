package dev.vbank.deploy;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The launcher end to end, on the fixed local ports: up, everything ready, an object in S3 and a row in PostgreSQL,
 * down with no process left, up again, both still there, down. Needs the five services built
 * ({@code ./mvnw -DskipTests install}); run with {@code ./mvnw -pl deploy verify -DskipITs=false}.
 */
class LocalPlatformIT {

    private static final Map<String, Integer> SERVICE_PORTS = Map.of(
            "api-gateway", 8080, "job-scheduler", 8081, "gpu-worker", 8082, "artifact-service", 8083,
            "inference-service", 8084);
    private static final int[] ALL_PORTS = {54320, 19092, 19000, 8080, 8081, 8082, 8083, 8084};

    private final Path root = Manifests.repoRoot();
    private final Path script = root.resolve("deploy/bin/vbank-local");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    @Test
    void upDownUpKeepsObjectsAndRowsAndLeavesNoProcessBehind(@TempDir Path dataDir) throws Exception {
        for (int port : ALL_PORTS) {
            assertThat(portFree(port)).as("port " + port + " is taken: stop whatever runs there (a local vbank?"
                    + " deploy/bin/vbank-local down) before this test").isTrue();
        }
        try {
            Result up = run(dataDir, "up", "--timeout", "300");
            assertThat(up.exitCode()).as("vbank-local up:\n" + up.output()).isZero();
            assertThat(up.output()).contains("vbank is up");
            assertAllReady();
            // the gateway either created the first tenant or says that it cannot yet; never an invented key
            String tenantKey = null;
            if (up.output().contains("first tenant API key: ")) {
                tenantKey = up.output().replaceAll("(?s).*first tenant API key: (\\S+).*", "$1");
                assertThat(Files.readString(dataDir.resolve("tenant.json"))).contains(tenantKey);
                assertThat(authStatus(tenantKey)).as("the new key authenticates").isNotIn(401, 403);
                assertThat(authStatus("vbk_not-a-key")).as("a made-up key is refused").isEqualTo(401);
            } else {
                assertThat(up.output()).contains("tenant API not available yet");
            }
            Result status = run(dataDir, "status");
            assertThat(status.exitCode()).as("status while up:\n" + status.output()).isZero();
            assertThat(status.output()).contains("5 of 5 ready");

            Map<String, String> env = infraEnv(dataDir);
            byte[] payload = new byte[3 * 1024 * 1024 + 17];
            new Random(42).nextBytes(payload);
            String key = "it/launcher-" + UUID.randomUUID() + ".bin";
            String note = "written before restart " + UUID.randomUUID();
            try (MinioClient s3 = s3(env)) {
                s3.putObject(PutObjectArgs.builder().bucket(env.get("VBANK_S3_BUCKET")).object(key)
                        .stream(new ByteArrayInputStream(payload), payload.length, -1).build());
            }
            try (Connection c = jdbc(env); var st = c.createStatement()) {
                st.execute("create table if not exists public.launcher_it (id text primary key, note text)");
                try (PreparedStatement ps = c.prepareStatement("insert into public.launcher_it values (?, ?)")) {
                    ps.setString(1, key);
                    ps.setString(2, note);
                    ps.executeUpdate();
                }
            }

            List<Long> pids = platformPids(dataDir);
            assertThat(pids).as("pid files of infra, 4 services and postgres").hasSize(6);

            Result down = run(dataDir, "down");
            assertThat(down.exitCode()).as("vbank-local down:\n" + down.output()).isZero();
            assertNoneAlive(pids);
            for (int port : ALL_PORTS) {
                assertThat(portFree(port)).as("port " + port + " still taken after down").isTrue();
            }
            Result statusDown = run(dataDir, "status");
            assertThat(statusDown.exitCode()).as("status after down").isNotZero();
            assertThat(statusDown.output()).contains("0 of 5 ready");
            try (Stream<Path> left = Files.list(dataDir.resolve("run"))) {
                assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pid") || n.endsWith(".env")))
                        .as("pid/env files left after down").isEmpty();
            }

            Result again = run(dataDir, "up", "--timeout", "300");
            assertThat(again.exitCode()).as("second vbank-local up:\n" + again.output()).isZero();
            assertAllReady();
            Result alreadyUp = run(dataDir, "up");
            assertThat(alreadyUp.exitCode()).isZero();
            assertThat(alreadyUp.output()).contains("already up");

            if (tenantKey != null) {
                assertThat(again.output()).as("the first tenant is created once").contains("first tenant API key: " + tenantKey);
                assertThat(authStatus(tenantKey)).as("the key still authenticates after the restart").isNotIn(401, 403);
            }

            env = infraEnv(dataDir);
            try (MinioClient s3 = s3(env);
                 InputStream in = s3.getObject(GetObjectArgs.builder().bucket(env.get("VBANK_S3_BUCKET")).object(key).build())) {
                assertThat(sha256(in.readAllBytes())).as("object %s after restart", key).isEqualTo(sha256(payload));
            }
            try (Connection c = jdbc(env);
                 PreparedStatement ps = c.prepareStatement("select note from public.launcher_it where id = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("row written before the restart").isTrue();
                    assertThat(rs.getString(1)).isEqualTo(note);
                }
            }

            List<Long> secondPids = platformPids(dataDir);
            Result finalDown = run(dataDir, "down");
            assertThat(finalDown.exitCode()).as("vbank-local down:\n" + finalDown.output()).isZero();
            assertNoneAlive(secondPids);
        } finally {
            run(dataDir, "down"); // best effort after a failure; a no-op when already down
        }
    }

    private void assertAllReady() throws IOException, InterruptedException {
        for (var e : SERVICE_PORTS.entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + e.getValue() + "/q/health/ready")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(e.getKey() + " /q/health/ready: " + r.body()).isEqualTo(200);
        }
    }

    /** Status of an authenticated gateway call: 401/403 mean the key was not accepted. */
    private int authStatus(String key) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/v1/files"))
                        .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void assertNoneAlive(List<Long> pids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<Long> alive;
        do {
            alive = pids.stream().filter(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)).toList();
            if (alive.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        fail("processes still alive after down: " + alive.stream()
                .map(p -> p + " " + ProcessHandle.of(p).flatMap(h -> h.info().commandLine()).orElse("?")).toList());
    }

    private static List<Long> platformPids(Path dataDir) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> files = Files.list(dataDir.resolve("run"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                pids.add(Long.parseLong(Files.readString(f).trim()));
            }
        }
        Path postmaster = dataDir.resolve("postgres/postmaster.pid");
        if (Files.exists(postmaster)) {
            pids.add(Long.parseLong(Files.readAllLines(postmaster).get(0).trim()));
        }
        return pids;
    }

    private static Map<String, String> infraEnv(Path dataDir) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dataDir.resolve("run/infra.env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private static MinioClient s3(Map<String, String> env) {
        return MinioClient.builder().endpoint(env.get("VBANK_S3_ENDPOINT")).region("us-east-1")
                .credentials(env.get("VBANK_S3_ACCESS_KEY"), env.get("VBANK_S3_SECRET_KEY")).build();
    }

    private static Connection jdbc(Map<String, String> env) throws SQLException {
        return DriverManager.getConnection(env.get("QUARKUS_DATASOURCE_JDBC_URL"),
                env.get("QUARKUS_DATASOURCE_USERNAME"), env.get("QUARKUS_DATASOURCE_PASSWORD"));
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    record Result(int exitCode, String output) {
    }

    private Result run(Path dataDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--data-dir", dataDir.toString()));
        Path out = Files.createTempFile("vbank-local-", ".out");
        try {
            Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + cmd + "\n" + Files.readString(out));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            System.out.println("$ vbank-local " + String.join(" ", args) + "\n" + output);
            return new Result(p.exitValue(), output);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
