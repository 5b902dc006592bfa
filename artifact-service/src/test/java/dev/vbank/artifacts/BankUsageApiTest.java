package dev.vbank.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.artifacts.adapters.BankUsage;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.model.BaseModels;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.LoraModule;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.TopK;
import dev.vbank.vblora.format.VbloraModule;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** {@code GET .../adapters/{id}/bank_usage} on real PostgreSQL and S3, checked against the adapter's own logits. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class BankUsageApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = BaseModels.ALL_MINILM_L6_V2.id();

    static String upload(String tenant, String job, String method, byte[] body) {
        Response r = given().contentType("application/octet-stream").body(body).queryParam("job_id", job)
                .queryParam("base_model", BASE).queryParam("method", method)
                .post("/internal/tenants/{t}/adapters", tenant);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(201);
        return r.path("id");
    }

    static JsonNode bankUsage(String tenant, String id) throws Exception {
        Response r = given().get("/internal/tenants/{t}/adapters/{id}/bank_usage", tenant, id);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        return JSON.readTree(r.asString());
    }

    /** Top-k of A then B, module by module in path order, straight from the logits the adapter was built from. */
    static List<TopK> expectedSelections(AdapterWeights a) {
        List<TopK> out = new ArrayList<>();
        for (VbloraModule m : a.vbloraModules().values()) {
            out.add(TopK.fromLogits(m.logitsA(), a.vbloraConfig().topk()));
            out.add(TopK.fromLogits(m.logitsB(), a.vbloraConfig().topk()));
        }
        return out;
    }

    @Test
    void vbloraSelectionsUsageAndSizesMatchTheAdapter() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights a = AdaptersApiTest.adapter(7);
        byte[] bytes = CompactFormat.write(a, CompactFormat.Options.FP32);
        String id = upload(tenant, "ftjob-bank-1", "vblora", bytes);

        JsonNode u = bankUsage(tenant, id);
        assertThat(u.path("object").asText()).isEqualTo("adapter.bank_usage");
        assertThat(u.path("adapter_id").asText()).isEqualTo(id);
        assertThat(u.path("method").asText()).isEqualTo("vblora");
        assertThat(u.path("has_bank").asBoolean()).isTrue();
        assertThat(u.path("num_vectors").asInt()).isEqualTo(16);
        assertThat(u.path("vector_length").asInt()).isEqualTo(64);
        assertThat(u.path("r").asInt()).isEqualTo(2);
        assertThat(u.path("topk").asInt()).isEqualTo(2);
        // two 384×384 modules, b = 64, r = 2: A has 2·6 rows, B 6·2
        assertThat(u.path("sub_vectors").asLong()).isEqualTo(48);
        assertThat(u.path("sub_vectors_sent").asInt()).isEqualTo(48);
        assertThat(u.path("truncated").asBoolean()).isFalse();
        assertThat(u.path("stored_bytes").asLong()).isEqualTo(bytes.length);
        assertThat(u.path("lora_equivalent_bytes").asLong()).isEqualTo(2L * 4 * (2 * 384 + 384 * 2));
        assertThat(u.path("head_bytes").asLong()).isEqualTo(4L * (2 * 384 + 2));

        JsonNode modules = u.path("modules");
        assertThat(modules).hasSize(2);
        assertThat(modules.get(0).path("path").asText()).isEqualTo(AdaptersApiTest.PATHS.get(0));
        assertThat(modules.get(1).path("offset").asLong()).isEqualTo(24);
        assertThat(modules.get(1).path("sub_vectors_a").asInt()).isEqualTo(12);
        assertThat(modules.get(1).path("sub_vectors_b").asInt()).isEqualTo(12);

        List<Integer> indices = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        for (TopK t : expectedSelections(a)) {
            for (int i : t.indices()) {
                indices.add(i);
            }
            for (float w : t.weights()) {
                weights.add(w);
            }
        }
        assertThat(u.path("indices")).hasSize(48 * 2);
        for (int i = 0; i < indices.size(); i++) {
            assertThat(u.path("indices").get(i).asInt()).as("index %d", i).isEqualTo(indices.get(i));
            assertThat(u.path("weights").get(i).floatValue()).as("weight %d", i).isEqualTo(weights.get(i));
        }
        long[] usage = new long[16];
        indices.forEach(i -> usage[i]++);
        assertThat(u.path("usage")).hasSize(16);
        for (int v = 0; v < 16; v++) {
            assertThat(u.path("usage").get(v).asLong()).as("usage of vector %d", v).isEqualTo(usage[v]);
        }
    }

    @Test
    void loraAndHeadOnlyAdaptersHaveNoBank() throws Exception {
        String tenant = Infra.tenant();
        Random rnd = new Random(3);
        LoraConfig lc = LoraConfig.defaults();
        List<LoraModule> modules = new ArrayList<>();
        for (String p : AdaptersApiTest.PATHS) {
            modules.add(new LoraModule(p, 384, 384, AdaptersApiTest.random(rnd, 0.1, lc.r(), 384),
                    AdaptersApiTest.random(rnd, 0.1, 384, lc.r())));
        }
        Map<String, Tensor> head = Map.of("classifier.weight", AdaptersApiTest.random(rnd, 0.05, 2, 384));
        AdapterWeights lora = AdapterWeights.lora(lc, BASE, null, modules, head, "SEQ_CLS", List.of("0", "1"), Map.of());
        byte[] loraBytes = CompactFormat.write(lora, CompactFormat.Options.FP32);
        JsonNode u = bankUsage(tenant, upload(tenant, "ftjob-lora", "lora", loraBytes));
        assertThat(u.path("method").asText()).isEqualTo("lora");
        assertThat(u.path("has_bank").asBoolean()).isFalse();
        assertThat(u.path("num_vectors").isNull()).isTrue();
        assertThat(u.path("indices")).isEmpty();
        assertThat(u.path("usage")).isEmpty();
        assertThat(u.path("stored_bytes").asLong()).isEqualTo(loraBytes.length);
        assertThat(u.path("lora_equivalent_bytes").asLong()).isEqualTo(2L * 4 * (8 * 384 + 384 * 8));
        assertThat(u.path("modules")).hasSize(2);

        AdapterWeights headOnly = AdapterWeights.headOnly(BASE, null, head, "SEQ_CLS", List.of("0", "1"), Map.of());
        JsonNode h = bankUsage(tenant, upload(tenant, "ftjob-head", "head_only",
                CompactFormat.write(headOnly, CompactFormat.Options.FP32)));
        assertThat(h.path("has_bank").asBoolean()).isFalse();
        assertThat(h.path("lora_equivalent_bytes").asLong()).isZero();
        assertThat(h.path("head_bytes").asLong()).isEqualTo(4L * 2 * 384);
        assertThat(h.path("modules")).isEmpty();
    }

    @Test
    void anotherTenantsOrAnUnknownAdapterIsNotFound() {
        String tenant = Infra.tenant();
        String id = upload(tenant, "ftjob-bank-2", "vblora",
                CompactFormat.write(AdaptersApiTest.adapter(8), CompactFormat.Options.FP16));
        given().get("/internal/tenants/{t}/adapters/{id}/bank_usage", Infra.tenant(), id).then().statusCode(404)
                .body("error.code", is("adapter_not_found"));
        given().get("/internal/tenants/{t}/adapters/{id}/bank_usage", tenant, "adapter-" + "0".repeat(24))
                .then().statusCode(404).body("error.param", is("id"));
    }

    @Test
    void selectionsAreCappedButUsageCountsEverySubVector() {
        AdapterWeights a = AdaptersApiTest.adapter(9);
        BankUsage u = BankUsage.of("adapter-x", 1, CompactFormat.read(CompactFormat.write(a,
                CompactFormat.Options.FP32)), 30);
        assertThat(u.subVectors()).isEqualTo(48);
        assertThat(u.subVectorsSent()).isEqualTo(30);
        assertThat(u.truncated()).isTrue();
        assertThat(u.indices()).hasSize(60);
        assertThat(java.util.Arrays.stream(u.usage()).sum()).isEqualTo(48L * 2);
        List<TopK> expected = expectedSelections(a);
        // module 0: A rows 0..11, B rows 12..23; sub-vectors 24..29 are the first six of module 1's A
        assertThat(java.util.Arrays.copyOfRange(u.indices(), 12 * 2, 24 * 2)).containsExactly(expected.get(1).indices());
        assertThat(java.util.Arrays.copyOfRange(u.indices(), 24 * 2, 30 * 2))
                .containsExactly(java.util.Arrays.copyOfRange(expected.get(2).indices(), 0, 12));
    }
}
