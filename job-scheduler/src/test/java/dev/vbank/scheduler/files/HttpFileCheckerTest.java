package dev.vbank.scheduler.files;

import com.sun.net.httpserver.HttpServer;
import dev.vbank.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpFileCheckerTest {

    HttpServer server;
    final List<String> paths = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            paths.add(path);
            String id = path.substring(path.lastIndexOf('/') + 1);
            int status = switch (id) {
                case "missing" -> 404;
                case "boom" -> 500;
                default -> 200;
            };
            String body = switch (id) {
                case "garbage" -> "<html>";
                case "no-status" -> "{\"id\":\"no-status\"}";
                default -> "{\"id\":\"" + id + "\",\"status\":\"" + id + "\",\"status_details\":\"bad row 3\"}";
            };
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static HttpFileChecker checker(String url) {
        return new HttpFileChecker(new ArtifactServiceConfig() {
            @Override
            public String url() {
                return url;
            }

            @Override
            public Duration timeout() {
                return Duration.ofSeconds(2);
            }
        });
    }

    @Test
    void mapsTheArtifactServiceAnswers() throws IOException {
        HttpFileChecker checker = checker("http://localhost:" + server.getAddress().getPort() + "/");
        assertThat(checker.check("t1", "processed").state()).isEqualTo(FileChecker.State.READY);
        assertThat(checker.check("t1", "uploaded").state()).isEqualTo(FileChecker.State.PENDING);
        assertThat(checker.check("t1", "no-status").state()).isEqualTo(FileChecker.State.PENDING);
        FileChecker.Result error = checker.check("t1", "error");
        assertThat(error.state()).isEqualTo(FileChecker.State.INVALID);
        assertThat(error.reason()).contains("bad row 3");
        assertThat(checker.check("t1", "missing").state()).isEqualTo(FileChecker.State.INVALID);
        assertThatThrownBy(() -> checker.check("t1", "boom")).isInstanceOf(IOException.class).hasMessageContaining("500");
        assertThatThrownBy(() -> checker.check("t1", "garbage")).isInstanceOf(IOException.class);
        assertThat(paths.get(0)).isEqualTo("/internal/tenants/t1/files/processed");
    }

    @Test
    void escapesPathSegments() throws IOException {
        checker("http://localhost:" + server.getAddress().getPort()).check("t 1", "a/b");
        assertThat(paths).containsExactly("/internal/tenants/t%201/files/a%2Fb");
    }

    @Test
    void anUnreachableServiceIsAnIoErrorSoTheJobWaits() {
        assertThatThrownBy(() -> checker("http://localhost:" + Ports.free()).check("t1", "f"))
                .isInstanceOf(IOException.class);
    }
}
