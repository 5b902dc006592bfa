package dev.vbank.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class CheckpointsApiTest {

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    static byte[] zip(Map<String, String> files) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, String> e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    static Response put(String tenant, String job, Object step, byte[] body) {
        return given().contentType("application/zip").body(body)
                .put("/internal/tenants/{t}/checkpoints/{job}/{step}", tenant, job, step);
    }

    @Test
    void putListGetAndReplace() throws Exception {
        String tenant = Infra.tenant();
        String job = "ftjob-abc123";
        byte[] s20 = zip(Map.of("state.json", "{\"step\":20}"));
        byte[] s10 = zip(Map.of("state.json", "{\"step\":10}"));
        put(tenant, job, 20, s20).then().statusCode(201)
                .body("object", is("fine_tuning.job.checkpoint"))
                .body("job_id", is(job)).body("step", is(20))
                .body("object_key", is("tenants/" + tenant + "/checkpoints/" + job + "/20"))
                .body("bytes", is(s20.length)).body("sha256", is(Infra.sha256(s20)));
        put(tenant, job, 10, s10).then().statusCode(201);

        given().get("/internal/tenants/{t}/checkpoints/{job}", tenant, job).then().statusCode(200)
                .body("object", is("list")).body("data.step", is(List.of(10, 20)));

        byte[] s10b = zip(Map.of("state.json", "{\"step\":10,\"again\":true}"));
        put(tenant, job, 10, s10b).then().statusCode(201).body("sha256", is(Infra.sha256(s10b)));
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.checkpoints where tenant = ?", tenant))
                .isEqualTo(2);
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/checkpoints/")).isEqualTo(2);

        Response content = given().get("/internal/tenants/{t}/checkpoints/{job}/{step}/content", tenant, job, 10);
        content.then().statusCode(200).header("X-Vbank-Sha256", Infra.sha256(s10b));
        assertThat(content.asByteArray()).isEqualTo(s10b);
        given().get("/internal/tenants/{t}/checkpoints/{job}/{step}", tenant, job, 20).then().statusCode(200)
                .body("sha256", is(Infra.sha256(s20)));
    }

    @Test
    void rejectsNonZipAndBadStepWritingNothing() throws Exception {
        String tenant = Infra.tenant();
        put(tenant, "ftjob-1", 5, "not a zip".getBytes(StandardCharsets.UTF_8)).then().statusCode(400)
                .body("error.param", is("body"));
        put(tenant, "ftjob-1", "-1", zip(Map.of("a", "b"))).then().statusCode(400).body("error.param", is("step"));
        put(tenant, "ftjob-1", "ten", zip(Map.of("a", "b"))).then().statusCode(400).body("error.param", is("step"));
        put(tenant, "-job", 1, zip(Map.of("a", "b"))).then().statusCode(400).body("error.param", is("job_id"));
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.checkpoints where tenant = ?", tenant))
                .isZero();
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/")).isZero();
    }

    @Test
    void anotherTenantSeesNothingAndCorruptionIsCaught() throws Exception {
        String tenant = Infra.tenant();
        byte[] body = zip(Map.of("model.safetensors", "weights"));
        put(tenant, "ftjob-2", 1, body).then().statusCode(201);
        String other = Infra.tenant();
        given().get("/internal/tenants/{t}/checkpoints/{job}/{step}/content", other, "ftjob-2", 1).then()
                .statusCode(404).body("error.code", is("checkpoint_not_found"));
        given().get("/internal/tenants/{t}/checkpoints/{job}", other, "ftjob-2").then().statusCode(200)
                .body("data.size()", is(0));

        Infra.overwrite(minio, s3.bucket(), "tenants/" + tenant + "/checkpoints/ftjob-2/1", zip(Map.of("x", "y")));
        given().get("/internal/tenants/{t}/checkpoints/{job}/{step}/content", tenant, "ftjob-2", 1).then()
                .statusCode(500).body("error.code", is("corrupted_object"));
    }
}
