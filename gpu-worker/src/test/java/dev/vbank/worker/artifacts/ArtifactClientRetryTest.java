package dev.vbank.worker.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.worker.support.ArtifactStub;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The worker's artifact calls against a real HTTP server that fails, then recovers (or does not). */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = {
        @ResourceArg(name = "needs", value = "postgres,kafka"),
        @ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events,vbank.jobs.control")})
@WithTestResource(ArtifactStub.class)
class ArtifactClientRetryTest {

    static final byte[] DATA = "{\"text\":\"fine\",\"label\":\"1\"}\n".getBytes(StandardCharsets.UTF_8);

    @Inject
    ArtifactClient artifacts;

    @Test
    void aDownloadThatFailsTwiceIsTriedAgainAndVerified() throws IOException {
        String file = ArtifactStub.putFile("retry", "a.jsonl", DATA);
        ArtifactStub.failNext("file_content", 2);
        int before = ArtifactStub.calls("file_content");
        Path target = Files.createTempDirectory("retry").resolve("a.jsonl");
        ArtifactClient.Download d = artifacts.fileContent("retry", file, target, 1 << 20);
        assertThat(ArtifactStub.calls("file_content") - before).isEqualTo(3);
        assertThat(Files.readAllBytes(d.file())).isEqualTo(DATA);
        assertThat(d.sha256()).isEqualTo(ArtifactStub.fileSha256("retry", file));
    }

    @Test
    void metadataThatStaysUnavailableFailsAfterThreeAttempts() {
        String file = ArtifactStub.putFile("retry", "b.jsonl", DATA);
        ArtifactStub.failNext("file_meta", 10);
        int before = ArtifactStub.calls("file_meta");
        try {
            assertThatThrownBy(() -> artifacts.file("retry", file)).isInstanceOf(ArtifactClient.Transient.class)
                    .hasMessageContaining("503");
            assertThat(ArtifactStub.calls("file_meta") - before).isEqualTo(3);
        } finally {
            ArtifactStub.failNext("file_meta", 0);
        }
        assertThat(artifacts.file("retry", file).sha256()).isEqualTo(ArtifactStub.fileSha256("retry", file));
    }
}
