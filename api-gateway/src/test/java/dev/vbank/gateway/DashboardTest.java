package dev.vbank.gateway;

import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.RedirectConfig;
import io.restassured.response.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** The dashboard's static assets are public and self-contained; the data behind them stays behind the tenant's key. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class DashboardTest {

    static final List<String> ASSETS = List.of("index.html", "app.js", "api.js", "charts.js", "style.css");

    @ConfigProperty(name = "vbank.artifacts.url")
    String stub;

    @BeforeEach
    @AfterEach
    void up() {
        Gw.call(stub, "POST", "/__stub/down", "false");
    }

    @Test
    void assetsAreServedWithoutAKeyAndLoadNothingFromElsewhere() {
        Response index = given().get("/dashboard/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.contentType()).startsWith("text/html");
        assertThat(index.asString()).contains("<script type=\"module\" src=\"app.js\">");
        assertThat(index.header("Content-Security-Policy")).contains("default-src 'self'");
        for (String asset : ASSETS) {
            Response r = given().get("/dashboard/" + asset);
            assertThat(r.statusCode()).as(asset).isEqualTo(200);
            // no CDN, no remote fonts: every URL an asset names is relative to the gateway
            assertThat(r.asString()).as(asset).doesNotContainPattern("(?i)(src|href)\\s*=\\s*[\"'](https?:)?//")
                    .doesNotContainPattern("(?i)(import|fetch)\\s*\\(?\\s*[\"'`](https?:)?//")
                    .doesNotContainPattern("(?i)@import|url\\(\\s*[\"']?(https?:)?//");
        }
        assertThat(given().get("/dashboard/app.js").contentType()).contains("javascript");
        given().config(RestAssured.config().redirect(RedirectConfig.redirectConfig().followRedirects(false)))
                .get("/dashboard").then().statusCode(301).header("Location", "/dashboard/");
        given().get("/dashboard/nothing-here.js").then().statusCode(404);
    }

    @Test
    void dataCallsStillNeedTheTenantsKey() {
        String adapter = "adapter-" + "0".repeat(23) + "7";
        given().get("/v1/fine_tuning/jobs").then().statusCode(401).body("error.param", is("Authorization"));
        given().get("/v1/adapters/" + adapter + "/bank_usage").then().statusCode(401);
        given().header("Authorization", "Bearer vbk_" + "x".repeat(43)).get("/v1/adapters/" + adapter + "/bank_usage")
                .then().statusCode(401);
    }

    @Test
    void bankUsageIsAskedForUnderTheKeysTenantOnly() {
        Gw.T t = Gw.tenant("dash");
        String adapter = "adapter-" + "0".repeat(23) + "8";
        Gw.call(stub, "POST", "/__stub/tenants/" + t.id() + "/adapters/" + adapter, "");
        Gw.clearStub(stub);
        Gw.as(t).get("/v1/adapters/" + adapter + "/bank_usage").then().statusCode(200)
                .body("object", is("adapter.bank_usage")).body("adapter_id", is(adapter))
                .body("usage.size()", is(4)).body("indices.size()", is(4));
        assertThat(Gw.stubRequests(stub)).anySatisfy(r -> assertThat(r.get("path").asText())
                .isEqualTo("/internal/tenants/" + t.id() + "/adapters/" + adapter + "/bank_usage"));

        Gw.T other = Gw.tenant("dash-other");
        Gw.as(other).get("/v1/adapters/" + adapter + "/bank_usage").then().statusCode(404)
                .body("error.code", is("adapter_not_found"));
        Gw.as(t).get("/v1/adapters/bad%20id/bank_usage").then().statusCode(400).body("error.param", is("id"));

        given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/v1/adapters/{id}/bank_usage'.get.summary", org.hamcrest.Matchers.notNullValue());

        Gw.call(stub, "POST", "/__stub/down", "true");
        Gw.as(t).get("/v1/adapters/" + adapter + "/bank_usage").then().statusCode(503)
                .body("error.code", is("service_unavailable"));
    }
}
