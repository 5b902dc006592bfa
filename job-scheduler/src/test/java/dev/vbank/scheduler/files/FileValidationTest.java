package dev.vbank.scheduler.files;

import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** The validator asks a real (tiny) HTTP server standing in for the artifact-service. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class FileValidationTest {

    @Inject
    DataSource dataSource;
    @Inject
    FileValidator validator;

    String tenant;

    @BeforeEach
    void emptyTables() throws Exception {
        TestSupport.reset(dataSource);
        tenant = TestSupport.tenant("files");
    }

    String create(String trainingFile, String validationFile) {
        String body = "{\"model\": \"e5-small-v2\", \"training_file\": \"" + trainingFile + "\""
                + (validationFile == null ? "" : ", \"validation_file\": \"" + validationFile + "\"")
                + ", \"method\": {\"type\": \"lora\"}}";
        return given().contentType(ContentType.JSON).body(body).post("/internal/tenants/{t}/jobs", tenant).then()
                .statusCode(200).body("status", is("validating_files")).extract().path("id");
    }

    String status(String id) {
        return given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then().statusCode(200).extract().path("status");
    }

    @Test
    void processedFilesQueueTheJob() {
        ArtifactStub.put(tenant, "file-train", "processed");
        ArtifactStub.put(tenant, "file-valid", "processed");
        String id = create("file-train", "file-valid");
        int before = ArtifactStub.requests();
        assertThat(validator.validateOnce()).isEqualTo(1);
        assertThat(ArtifactStub.requests() - before).as("one request per file").isEqualTo(2);
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                .body("status", is("queued")).body("error", nullValue());
    }

    @Test
    void aMissingTrainingFileFailsTheJobNamingTheField() {
        String id = create("file-nowhere", null);
        assertThat(validator.validateOnce()).isEqualTo(1);
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                .body("status", is("failed"))
                .body("error.code", is("invalid_file"))
                .body("error.param", is("training_file"))
                .body("error.message", containsString("file-nowhere"))
                .body("finished_at", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void anotherTenantsFileIsMissingToo() {
        ArtifactStub.put("someone-else", "file-theirs", "processed");
        String id = create("file-theirs", null);
        validator.validateOnce();
        assertThat(status(id)).isEqualTo("failed");
    }

    @Test
    void aBrokenValidationFileFailsTheJobNamingValidationFile() {
        ArtifactStub.put(tenant, "file-train", "processed");
        ArtifactStub.put(tenant, "file-bad", "error");
        String id = create("file-train", "file-bad");
        validator.validateOnce();
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                .body("status", is("failed"))
                .body("error.code", is("invalid_file"))
                .body("error.param", is("validation_file"));
    }

    @Test
    void aFileStillProcessingKeepsTheJobWaitingUntilItIsProcessed() {
        ArtifactStub.put(tenant, "file-slow", "uploaded");
        String id = create("file-slow", null);
        assertThat(validator.validateOnce()).isZero();
        assertThat(status(id)).isEqualTo("validating_files");
        ArtifactStub.put(tenant, "file-slow", "processed");
        assertThat(validator.validateOnce()).isEqualTo(1);
        assertThat(status(id)).isEqualTo("queued");
    }

    @Test
    void aFileThatNeverGetsProcessedFailsTheJobAfterTheTimeout() throws Exception {
        ArtifactStub.put(tenant, "file-stuck", "uploaded");
        String id = create("file-stuck", null);
        TestSupport.update(dataSource,
                "update scheduler.jobs set created_at = created_at - interval '1 day' where id = ?", id);
        assertThat(validator.validateOnce()).isEqualTo(1);
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                .body("status", is("failed"))
                .body("error.code", is("invalid_file"))
                .body("error.param", is("training_file"))
                .body("error.message", containsString("file-stuck"));
    }
}
