package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** /v1/vector_banks and /admin/vector_banks go to the artifact-service under the key's tenant; its answers pass through. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class VectorBankDelegationTest {

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    @BeforeEach
    void up() {
        Gw.call(stub, "POST", "/__stub/down", "false");
    }

    @Test
    void publishListGetDeleteUnderTheKeysTenant() {
        Gw.T t = Gw.tenant("banks");
        Gw.clearStub(stub);
        Gw.as(t).contentType(ContentType.JSON).body("{\"from_adapter\": \"adapter-1\", \"name\": \"mine\"}")
                .post("/v1/vector_banks").then().statusCode(201)
                .body("object", is("vector_bank"))
                .body("tenant_path", is(t.id()))
                .body("request.from_adapter", is("adapter-1"))
                .body("request.name", is("mine"));
        Gw.as(t).get("/v1/vector_banks").then().statusCode(200).body("data[0].id", is("vbank-listed"));
        Gw.as(t).get("/v1/vector_banks/vbank-a").then().statusCode(200).body("id", is("vbank-a"));
        Gw.as(t).get("/v1/vector_banks/vbank-other1").then().statusCode(404)
                .body("error.code", is("vector_bank_not_found"));
        Gw.as(t).delete("/v1/vector_banks/vbank-inuse").then().statusCode(409)
                .body("error.code", is("vector_bank_in_use")).body("error.param", is("id"));
        Gw.as(t).delete("/v1/vector_banks/vbank-free").then().statusCode(200).body("deleted", is(true));
        List<JsonNode> seen = Gw.stubRequests(stub);
        assertThat(seen).extracting(r -> r.get("method").asText() + " " + r.get("path").asText()).containsExactly(
                "POST /internal/tenants/" + t.id() + "/vector_banks",
                "GET /internal/tenants/" + t.id() + "/vector_banks",
                "GET /internal/tenants/" + t.id() + "/vector_banks/vbank-a",
                "GET /internal/tenants/" + t.id() + "/vector_banks/vbank-other1",
                "DELETE /internal/tenants/" + t.id() + "/vector_banks/vbank-inuse",
                "DELETE /internal/tenants/" + t.id() + "/vector_banks/vbank-free");
    }

    @Test
    void badBodiesAre400NamingTheFieldAndNeverReachTheService() {
        Gw.T t = Gw.tenant("banks-bad");
        Gw.clearStub(stub);
        Gw.as(t).contentType(ContentType.JSON).body("{\"name\": \"x\"}").post("/v1/vector_banks").then()
                .statusCode(400).body("error.param", is("from_adapter"));
        Gw.as(t).contentType(ContentType.JSON).body("{\"from_adapter\": \"../x\"}").post("/v1/vector_banks").then()
                .statusCode(400).body("error.param", is("from_adapter"));
        Gw.as(t).contentType(ContentType.JSON).body("{\"from_adapter\": \"adapter-1\", \"bank\": 1}")
                .post("/v1/vector_banks").then().statusCode(400).body("error.param", is("bank"));
        Gw.as(t).contentType(ContentType.JSON).body("{\"from_adapter\": 5}").post("/v1/vector_banks").then()
                .statusCode(400).body("error.param", is("from_adapter"));
        assertThat(Gw.stubRequests(stub)).isEmpty();
    }

    @Test
    void platformBanksAreSeededWithTheAdminToken() {
        Gw.T t = Gw.tenant("banks-admin");
        Gw.clearStub(stub);
        String body = "{\"tenant\": \"" + t.id() + "\", \"from_adapter\": \"adapter-9\", \"name\": \"minilm\"}";
        Gw.as(t).contentType(ContentType.JSON).body(body).post("/admin/vector_banks").then().statusCode(401);
        given().header("Authorization", "Bearer " + Gw.ADMIN).contentType(ContentType.JSON).body(body)
                .post("/admin/vector_banks").then().statusCode(201).body("scope", is("platform"))
                .body("request.tenant", is(t.id())).body("request.from_adapter", is("adapter-9"));
        given().header("Authorization", "Bearer " + Gw.ADMIN).delete("/admin/vector_banks/vbank-inuse").then()
                .statusCode(409);
        assertThat(Gw.stubRequests(stub)).extracting(r -> r.get("method").asText() + " " + r.get("path").asText())
                .containsExactly("POST /internal/vector_banks", "DELETE /internal/vector_banks/vbank-inuse");
    }

    @Test
    void theOpenApiDocumentDescribesTheBankApi() {
        var doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        assertThat(doc.getMap("paths.'/v1/vector_banks'")).containsKeys("get", "post");
        assertThat(doc.getMap("paths.'/v1/vector_banks/{id}'")).containsKeys("get", "delete");
        assertThat(doc.getMap("paths.'/admin/vector_banks'")).containsKeys("post");
        assertThat(doc.getMap("components.schemas.VectorBank.properties")).containsKeys("num_vectors", "vector_length",
                "sha256", "scope", "base_model", "adapters");
        assertThat(doc.getMap("components.schemas.CreateVectorBankRequest.properties")).containsKeys("from_adapter");
        assertThat(doc.getMap("components.schemas.Adapter.properties")).containsKey("vector_bank");
        assertThat(doc.getMap("components.schemas.Hyperparameters.properties.vector_bank"))
                .containsEntry("pattern", "^vbank-[A-Za-z0-9_.-]{1,120}$");
        assertThat(doc.getList("components.schemas.Hyperparameters.properties.bank_mode.enum")).containsExactly("frozen");
    }
}
