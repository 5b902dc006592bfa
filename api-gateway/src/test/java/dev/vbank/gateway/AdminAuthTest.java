package dev.vbank.gateway;

import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class AdminAuthTest {

    @Inject
    DataSource dataSource;

    @Test
    void createsTenantsWithAKeyShownOnceAndStoredOnlyAsItsHash() throws Exception {
        var body = given().header("Authorization", "Bearer " + Gw.ADMIN).contentType(ContentType.JSON)
                .body("{\"name\": \"Acme Labs\"}").post("/admin/tenants").then().statusCode(201)
                .body("object", is("tenant"))
                .body("name", is("Acme Labs"))
                .body("id", matchesPattern("tenant-[0-9a-f]{24}"))
                .body("api_key.key", matchesPattern("vbk_[A-Za-z0-9_-]{43}"))
                .body("quotas.max_queued_jobs", nullValue())
                .extract().jsonPath();
        String id = body.getString("id");
        String key = body.getString("api_key.key");

        given().header("Authorization", "Bearer " + key).get("/v1/models").then().statusCode(200);

        String secret = key.substring(4);
        String expectedHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(StandardCharsets.UTF_8)));
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            StringBuilder everything = new StringBuilder();
            for (String table : new String[]{"tenants", "api_keys"}) {
                try (ResultSet rs = st.executeQuery("select t::text from gateway." + table + " t")) {
                    while (rs.next()) {
                        everything.append(rs.getString(1)).append('\n');
                    }
                }
            }
            assertThat(everything.toString()).doesNotContain(secret).doesNotContain(secret.substring(0, 16));
            try (ResultSet rs = st.executeQuery("select key_sha256 from gateway.api_keys where tenant_id = '" + id + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(expectedHash);
                assertThat(rs.next()).isFalse();
            }
        }
    }

    @Test
    void secondKeyWorksAndRevokedKeysDoNot() {
        Gw.T t = Gw.tenant("two keys");
        var k2 = given().header("Authorization", "Bearer " + Gw.ADMIN).post("/admin/tenants/" + t.id() + "/keys")
                .then().statusCode(201).body("tenant_id", is(t.id())).extract().jsonPath();
        String key2 = k2.getString("key");
        assertThat(key2).startsWith("vbk_").isNotEqualTo(t.key());
        given().header("Authorization", "Bearer " + key2).get("/v1/models").then().statusCode(200);
        given().header("Authorization", "Bearer " + Gw.ADMIN).delete("/admin/tenants/" + t.id() + "/keys/"
                + k2.getString("id")).then().statusCode(204);
        given().header("Authorization", "Bearer " + key2).get("/v1/models").then().statusCode(401)
                .body("error.code", is("unauthorized"));
        Gw.as(t).get("/v1/models").then().statusCode(200);
        given().header("Authorization", "Bearer " + Gw.ADMIN).post("/admin/tenants/tenant-nope/keys").then()
                .statusCode(404).body("error.code", is("tenant_not_found"));
    }

    @Test
    void missingOrInvalidCredentialsAre401() {
        Gw.T t = Gw.tenant("auth");
        given().get("/v1/models").then().statusCode(401).header("WWW-Authenticate", "Bearer realm=\"vbank\"")
                .body("error.code", is("unauthorized"))
                .body("error.param", is("Authorization"));
        given().header("Authorization", "Basic " + t.key()).get("/v1/fine_tuning/jobs").then().statusCode(401);
        given().header("Authorization", "Bearer ").get("/v1/files").then().statusCode(401);
        given().header("Authorization", "Bearer vbk_" + "A".repeat(43)).get("/v1/files").then().statusCode(401);
        given().header("Authorization", "Bearer " + t.key() + "x").get("/v1/files").then().statusCode(401);
        given().header("Authorization", "Bearer " + t.key().toUpperCase()).get("/v1/files").then().statusCode(401);
        given().header("Authorization", "Bearer " + Gw.ADMIN).get("/v1/models").then().statusCode(401);
        // a tenant key is no admin token, and the admin API needs its token
        given().header("Authorization", "Bearer " + t.key()).contentType(ContentType.JSON).body("{\"name\":\"x\"}")
                .post("/admin/tenants").then().statusCode(401).body("error.code", is("unauthorized"));
        given().contentType(ContentType.JSON).body("{\"name\":\"x\"}").post("/admin/tenants").then().statusCode(401);
        given().header("Authorization", "Bearer " + Gw.ADMIN + "x").get("/admin/tenants/" + t.id()).then()
                .statusCode(401);
        // /q/* stays open
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void quotaOverridesAreStoredAndReplaceable() {
        Gw.T t = Gw.tenant(Map.of("name", "q", "quotas", Map.of("max_queued_jobs", 3, "burst", 5)));
        given().header("Authorization", "Bearer " + Gw.ADMIN).get("/admin/tenants/" + t.id()).then().statusCode(200)
                .body("quotas.max_queued_jobs", is(3)).body("quotas.burst", is(5))
                .body("quotas.max_running_jobs", nullValue());
        given().header("Authorization", "Bearer " + Gw.ADMIN).contentType(ContentType.JSON)
                .body("{\"max_running_jobs\": 1}").put("/admin/tenants/" + t.id() + "/quotas").then().statusCode(200)
                .body("quotas.max_running_jobs", is(1)).body("quotas.max_queued_jobs", nullValue());
    }
}
