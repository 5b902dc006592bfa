package dev.vbank.scheduler.files;

import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The file check through the artifact-service REST client, against a real (tiny) HTTP server standing in for it. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class HttpFileCheckerTest {

    @Inject
    HttpFileChecker checker;

    @Test
    void mapsTheArtifactServiceAnswers() throws IOException {
        ArtifactStub.put("t1", "processed", "processed");
        ArtifactStub.put("t1", "uploaded", "uploaded");
        ArtifactStub.answer("t1", "no-status", 200, "{\"id\":\"no-status\"}");
        ArtifactStub.answer("t1", "error", 200, "{\"id\":\"error\",\"status\":\"error\",\"status_details\":\"bad row 3\"}");
        ArtifactStub.answer("t1", "boom", 500, "{\"error\":{\"code\":\"internal_error\"}}");
        ArtifactStub.answer("t1", "garbage", 200, "<html>");
        assertThat(checker.check("t1", "processed").state()).isEqualTo(FileChecker.State.READY);
        assertThat(checker.check("t1", "uploaded").state()).isEqualTo(FileChecker.State.PENDING);
        assertThat(checker.check("t1", "no-status").state()).isEqualTo(FileChecker.State.PENDING);
        FileChecker.Result error = checker.check("t1", "error");
        assertThat(error.state()).isEqualTo(FileChecker.State.INVALID);
        assertThat(error.reason()).contains("bad row 3");
        assertThat(checker.check("t1", "missing").state()).isEqualTo(FileChecker.State.INVALID);
        assertThatThrownBy(() -> checker.check("t1", "boom")).isInstanceOf(IOException.class).hasMessageContaining("500");
        assertThatThrownBy(() -> checker.check("t1", "garbage")).isInstanceOf(IOException.class);
        assertThat(ArtifactStub.paths()).contains("/internal/tenants/t1/files/processed");
    }

    @Test
    void escapesPathSegments() throws IOException {
        checker.check("t 1", "a b");
        assertThat(ArtifactStub.paths()).contains("/internal/tenants/t%201/files/a%20b");
    }

    @Test
    void aDroppedConnectionIsTriedAgainUntilTheServiceAnswers() throws IOException {
        ArtifactStub.put("t2", "flaky", "processed");
        ArtifactStub.dropNext("t2", "flaky", 2);
        int before = ArtifactStub.requests();
        assertThat(checker.check("t2", "flaky").state()).isEqualTo(FileChecker.State.READY);
        assertThat(ArtifactStub.requests() - before).isEqualTo(3);
    }

    @Test
    void aServiceThatNeverAnswersIsAnIoErrorSoTheJobWaits() {
        ArtifactStub.put("t3", "dead", "processed");
        ArtifactStub.dropNext("t3", "dead", 100);
        int before = ArtifactStub.requests();
        assertThatThrownBy(() -> checker.check("t3", "dead")).isInstanceOf(IOException.class);
        assertThat(ArtifactStub.requests() - before).isEqualTo(3);
    }
}
