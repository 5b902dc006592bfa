package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** {@code POST /v1/adapters} (multipart or raw zip) and the PEFT save mode reach the artifact-service unchanged. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class AdapterImportDelegationTest {

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    @BeforeEach
    void up() {
        Gw.call(stub, "POST", "/__stub/down", "false");
    }

    static byte[] zip() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            z.putNextEntry(new ZipEntry("adapter_config.json"));
            z.write("{\"peft_type\": \"VBLORA\"}".getBytes());
            z.closeEntry();
        }
        return bos.toByteArray();
    }

    @Test
    void importsGoToTheArtifactServiceUnderTheKeysTenant() throws Exception {
        Gw.T t = Gw.tenant("imports");
        byte[] zip = zip();
        Gw.clearStub(stub);
        String viaForm = Gw.as(t).multiPart("file", "adapter.zip", zip, "application/zip")
                .multiPart("model", "sentence-transformers/all-MiniLM-L6-v2").post("/v1/adapters")
                .then().statusCode(201).body("source", is("imported"))
                .body("base_model", is("sentence-transformers/all-MiniLM-L6-v2")).extract().path("id");
        Gw.as(t).contentType("application/zip").body(zip).post("/v1/adapters").then().statusCode(201)
                .body("bytes", is(zip.length));
        Gw.as(t).get("/v1/adapters/" + viaForm).then().statusCode(200).body("source", is("imported"));
        List<JsonNode> reqs = Gw.stubRequests(stub).stream()
                .filter(r -> r.path("path").asText().endsWith("/adapters/import")).toList();
        assertThat(reqs).hasSize(2);
        assertThat(reqs.get(0).path("path").asText()).isEqualTo("/internal/tenants/" + t.id() + "/adapters/import");
        assertThat(reqs.get(0).path("query").path("model").asText()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(reqs.get(1).path("body_bytes").asInt()).isEqualTo(zip.length);

        // the artifact-service's 400 reaches the client as it was
        Gw.as(t).contentType("application/zip").body(new byte[] {1, 2, 3}).post("/v1/adapters").then().statusCode(400)
                .body("error.param", is("file"));
        Gw.as(t).multiPart("model", "x").post("/v1/adapters").then().statusCode(400).body("error.param", is("file"));
    }

    @Test
    void theSaveModeIsPassedThroughAndChecked() {
        Gw.T t = Gw.tenant("savemode");
        String adapter = "adapter-" + "0".repeat(23) + "7";
        Gw.call(stub, "POST", "/__stub/tenants/" + t.id() + "/adapters/" + adapter, "");
        Gw.clearStub(stub);
        Gw.as(t).queryParam("format", "peft").queryParam("save_only_topk_weights", "true")
                .get("/v1/adapters/" + adapter + "/content").then().statusCode(200);
        JsonNode req = Gw.stubRequests(stub).get(0);
        assertThat(req.path("query").path("save_only_topk_weights").asText()).isEqualTo("true");
        assertThat(req.path("query").path("format").asText()).isEqualTo("peft");
        Gw.as(t).queryParam("format", "peft").queryParam("save_only_topk_weights", "perhaps")
                .get("/v1/adapters/" + adapter + "/content").then().statusCode(400);
    }
}
