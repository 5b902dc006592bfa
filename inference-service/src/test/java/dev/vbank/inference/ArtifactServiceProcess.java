package dev.vbank.inference;

import dev.vbank.testkit.Ports;
import dev.vbank.testkit.SharedInfra;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real artifact-service (its Quarkus build output) as a separate process on the testkit's PostgreSQL and S3, so the
 * inference-service fetches adapters over its real internal API; tests stop and start it to take it away.
 */
public class ArtifactServiceProcess implements QuarkusTestResourceLifecycleManager {

    private static Process process;
    private static int port;
    private static List<String> command;

    @Override
    public Map<String, String> start() {
        Map<String, String> infra = SharedInfra.quarkusConfig("postgres,s3", "");
        Path app = Path.of(System.getProperty("vbank.artifact-service.app",
                "../artifact-service/target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(app)) {
            throw new IllegalStateException(app + " is missing: build the artifact-service first (mvn -pl "
                    + "inference-service -am package)");
        }
        port = Ports.free();
        command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dvbank.artifacts.base-models.seed=false"));
        infra.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", app.toAbsolutePath().toString()));
        startProcess();
        return Map.of("vbank.inference.artifact-service.url", url());
    }

    public static String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Starts the service (again) and waits until it is ready. */
    public static synchronized void startProcess() {
        try {
            Path log = Path.of("target", "artifact-service.log");
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            HttpClient client = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("artifact-service exited with " + process.exitValue() + "; see "
                            + log.toAbsolutePath());
                }
                try {
                    HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // still starting
                }
                Thread.sleep(250);
            }
            throw new IllegalStateException("artifact-service not ready within 120 s; see " + log.toAbsolutePath());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the artifact-service", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the service (SIGTERM, then SIGKILL) and waits until it is gone. */
    public static synchronized void stopProcess() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void stop() {
        stopProcess();
    }
}
