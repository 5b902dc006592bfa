package dev.vbank.artifacts;

import dev.vbank.artifacts.models.BaseModelSeeder;
import dev.vbank.artifacts.models.BaseModelService;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.model.BaseModels;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class BaseModelsApiTest {

    static final String ID = BaseModels.ALL_MINILM_L6_V2.id();

    @Inject
    BaseModelSeeder seeder;

    @Inject
    BaseModelService models;

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    @Test
    void seededModelIsListedAndServedVerified() throws Exception {
        assertThat(seeder.awaitSeeded(10, TimeUnit.MINUTES)).isTrue();

        given().get("/internal/base-models").then().statusCode(200)
                .body("object", is("list"))
                .body("data.id", hasItems(ID, BaseModels.BGE_SMALL_EN_V15.id(), BaseModels.E5_SMALL_V2.id()))
                .body("data.find { it.id == '" + ID + "' }.status", is("ready"))
                .body("data.find { it.id == '" + ID + "' }.weights_sha256", is(BaseModels.ALL_MINILM_L6_V2.weightsSha256()))
                .body("data.find { it.id == '" + ID + "' }.object_key", is("base-models/" + ID + "/weights.safetensors"));
        String sha = given().get("/internal/base-models/{id}", ID).then().statusCode(200).extract().path("sha256");
        assertThat(sha).matches("[0-9a-f]{64}");

        Response w = given().get("/internal/base-models/{id}/weights", ID);
        w.then().statusCode(200).header("X-Vbank-Sha256", sha);
        assertThat(Infra.sha256(w.asByteArray())).isEqualTo(sha);
        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.base_models where id = ? and sha256 = ?", ID, sha))
                .isEqualTo(1);

        // a second round finds row and object in place and uploads nothing
        assertThat(models.seed(BaseModels.ALL_MINILM_L6_V2)).isFalse();
    }

    @Test
    void unseededIs503AndUnknownIs404() {
        given().get("/internal/base-models/{id}/weights", BaseModels.E5_SMALL_V2.id()).then().statusCode(503)
                .body("error.code", is("base_model_not_ready"));
        given().get("/internal/base-models/{id}/weights", "gpt-5").then().statusCode(404)
                .body("error.code", is("base_model_not_found"));
    }
}
