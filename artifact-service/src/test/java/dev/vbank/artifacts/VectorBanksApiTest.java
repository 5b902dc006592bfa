package dev.vbank.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.vbank.artifacts.AdaptersApiTest.BASE;
import static dev.vbank.artifacts.AdaptersApiTest.PATHS;
import static dev.vbank.artifacts.AdaptersApiTest.adapter;
import static dev.vbank.artifacts.AdaptersApiTest.upload;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/** Published vector banks and the adapters that reference them, through the internal API with real PostgreSQL and S3. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class VectorBanksApiTest {

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    static Response publish(String tenant, String adapter, String name) {
        return given().contentType("application/json")
                .body(name == null ? Map.of("from_adapter", adapter) : Map.of("from_adapter", adapter, "name", name))
                .post("/internal/tenants/{t}/vector_banks", tenant);
    }

    /** Adapter {@code seed}'s selections and head on {@code bank}, marked as trained against {@code ref}. */
    static AdapterWeights onBank(long seed, Tensor bank, BankRef ref) {
        AdapterWeights a = adapter(seed);
        return a.withBank(bank, ref);
    }

    @Test
    void publishTrainAgainstDownloadSelfContainedAndRefuseDeleteWhileReferenced() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights source = adapter(21);
        String sourceId = upload(tenant, "ftjob-b1", BASE, CompactFormat.write(source, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
        byte[] bankFile = VectorBankFile.write(source.vectorBank());
        String sha = VectorBankFile.sha256(bankFile);

        Response published = publish(tenant, sourceId, "first bank");
        published.then().statusCode(201)
                .body("object", is("vector_bank"))
                .body("name", is("first bank"))
                .body("scope", is("tenant"))
                .body("base_model", is(BASE))
                .body("num_vectors", is(16))
                .body("vector_length", is(64))
                .body("sha256", is(sha))
                .body("bytes", is(bankFile.length))
                .body("source_adapter", is(sourceId))
                .body("adapters", is(0));
        String bankId = published.path("id");
        assertThat(bankId).matches("vbank-[0-9a-f]{24}");
        assertThat(Infra.exists(minio, s3.bucket(), "vector-banks/" + sha)).isTrue();
        // the same content again for the same tenant: the same bank
        publish(tenant, sourceId, null).then().statusCode(200).body("id", is(bankId));
        given().get("/internal/tenants/{t}/vector_banks", tenant).then().statusCode(200)
                .body("object", is("list")).body("data.id", hasItem(bankId));
        Response content = given().get("/internal/tenants/{t}/vector_banks/{id}/content", tenant, bankId);
        content.then().statusCode(200).header("X-Vbank-Sha256", sha);
        assertThat(content.asByteArray()).isEqualTo(bankFile);

        // an adapter trained against the bank stores indices, weights and head only
        BankRef ref = new BankRef(bankId, sha);
        AdapterWeights user = onBank(22, source.vectorBank(), ref);
        byte[] userBytes = CompactFormat.write(user, CompactFormat.Options.SHARED_BANK);
        Response up = upload(tenant, "ftjob-b2", BASE, userBytes);
        up.then().statusCode(201).body("vector_bank", is(bankId)).body("bytes", is(userBytes.length));
        String userId = up.path("id");
        assertThat(userBytes.length).isLessThan(CompactFormat.write(user.withBankRef(null).toTopKOnly(),
                CompactFormat.Options.FP32).length / 2);
        given().get("/internal/tenants/{t}/vector_banks/{id}", tenant, bankId).then().statusCode(200)
                .body("adapters", is(1));
        AdapterWeights stored = CompactFormat.read(userBytes, r -> bankFile);

        // PEFT download: self-contained, the bank included
        byte[] zip = given().queryParam("format", "peft").get("/internal/tenants/{t}/adapters/{id}/content", tenant, userId)
                .then().statusCode(200).extract().asByteArray();
        AdapterWeights peft = PeftFormat.importZip(zip);
        assertThat(peft.bankRef()).isNull();
        assertThat(peft.vectorBank()).isEqualTo(source.vectorBank());
        for (String p : PATHS) {
            assertThat(peft.deltaWeight(p).data()).containsExactly(stored.deltaWeight(p).data(), within(1e-6f));
        }
        // merged download: the bank applied
        Safetensors.Contents merged = Safetensors.read(given().queryParam("format", "merged")
                .get("/internal/tenants/{t}/adapters/{id}/content", tenant, userId).then().statusCode(200)
                .extract().asByteArray());
        Map<String, FloatTensor> base = new BaseModelStore(Path.of("target/base-models")).load(BaseModels.ALL_MINILM_L6_V2);
        String w = PATHS.get(1) + ".weight";
        float[] got = merged.require(w).toTensor().data();
        float[] orig = base.get(w).data();
        float[] delta = stored.deltaWeight(PATHS.get(1)).data();
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i] - orig[i]).as("element %d", i).isCloseTo(delta[i], within(2e-5f));
        }
        given().get("/internal/tenants/{t}/adapters/{id}/bank_usage", tenant, userId).then().statusCode(200)
                .body("has_bank", is(true));
        // the bank's usage summed over the tenant's adapters that reference it
        Response usage = given().get("/internal/tenants/{t}/vector_banks/{id}/usage", tenant, bankId);
        usage.then().statusCode(200).body("object", is("vector_bank.usage")).body("adapter_count", is(1))
                .body("adapters[0]", is(userId)).body("num_vectors", is(16));
        List<Integer> counts = usage.path("usage");
        long expectedTotal = 0;
        for (String p : PATHS) {
            expectedTotal += stored.vbloraModules().get(p).topkA().indices().length
                    + stored.vbloraModules().get(p).topkB().indices().length;
        }
        assertThat(counts).hasSize(16);
        assertThat(counts.stream().mapToLong(Integer::longValue).sum()).isEqualTo(expectedTotal);

        // referenced: no delete; another tenant: not found, cannot reference it
        given().delete("/internal/tenants/{t}/vector_banks/{id}", tenant, bankId).then().statusCode(409)
                .body("error.code", is("vector_bank_in_use")).body("error.param", is("id"));
        String other = Infra.tenant();
        given().get("/internal/tenants/{t}/vector_banks/{id}", other, bankId).then().statusCode(404)
                .body("error.code", is("vector_bank_not_found"));
        given().delete("/internal/tenants/{t}/vector_banks/{id}", other, bankId).then().statusCode(404);
        given().get("/internal/tenants/{t}/vector_banks/{id}/content", other, bankId).then().statusCode(404);
        given().get("/internal/tenants/{t}/vector_banks", other).then().statusCode(200)
                .body("data.id", not(hasItem(bankId)));
        upload(other, "ftjob-b3", BASE, userBytes).then().statusCode(400).body("error.param", is("body"));
        // a reference whose sha256 is not the bank's
        AdapterWeights forged = onBank(23, source.vectorBank(), new BankRef(bankId, "00".repeat(32)));
        upload(tenant, "ftjob-b4", BASE, CompactFormat.write(forged, CompactFormat.Options.SHARED_BANK)).then()
                .statusCode(400).body("error.param", is("body"));

        // publishing from a bank-referencing adapter or an unknown one fails naming from_adapter
        publish(tenant, userId, null).then().statusCode(400).body("error.param", is("from_adapter"));
        publish(tenant, "adapter-000000000000000000000000", null).then().statusCode(404)
                .body("error.param", is("from_adapter"));
        publish(other, sourceId, null).then().statusCode(404).body("error.param", is("from_adapter"));
    }

    @Test
    void platformBanksAreVisibleToEveryTenantAndReadOnly() throws Exception {
        String owner = Infra.tenant();
        AdapterWeights source = adapter(31);
        String sourceId = upload(owner, "ftjob-p1", BASE, CompactFormat.write(source, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
        String sha = VectorBankFile.sha256(VectorBankFile.write(source.vectorBank()));
        // the owner's private bank and a platform-wide one of the same content share one object
        String privateId = publish(owner, sourceId, null).then().statusCode(201).extract().path("id");
        Response seeded = given().contentType("application/json")
                .body(Map.of("tenant", owner, "from_adapter", sourceId, "name", "platform minilm"))
                .post("/internal/vector_banks");
        seeded.then().statusCode(201).body("scope", is("platform")).body("sha256", is(sha));
        String platformId = seeded.path("id");
        assertThat(platformId).isNotEqualTo(privateId);

        String tenant = Infra.tenant();
        given().get("/internal/tenants/{t}/vector_banks", tenant).then().statusCode(200)
                .body("data.id", hasItem(platformId)).body("data.id", not(hasItem(privateId)));
        given().get("/internal/tenants/{t}/vector_banks/{id}", tenant, platformId).then().statusCode(200)
                .body("scope", is("platform")).body("name", is("platform minilm"));
        given().delete("/internal/tenants/{t}/vector_banks/{id}", tenant, platformId).then().statusCode(409)
                .body("error.code", is("vector_bank_read_only"));
        // another tenant trains against the platform bank
        AdapterWeights user = onBank(32, source.vectorBank(), new BankRef(platformId, sha));
        upload(tenant, "ftjob-p2", BASE, CompactFormat.write(user, CompactFormat.Options.SHARED_BANK)).then()
                .statusCode(201).body("vector_bank", is(platformId));
        given().delete("/internal/vector_banks/{id}", platformId).then().statusCode(409)
                .body("error.code", is("vector_bank_in_use"));

        // deleting the unreferenced private bank keeps the object the platform bank still uses
        given().delete("/internal/tenants/{t}/vector_banks/{id}", owner, privateId).then().statusCode(200)
                .body("deleted", is(true));
        given().get("/internal/tenants/{t}/vector_banks/{id}", owner, privateId).then().statusCode(404);
        assertThat(Infra.exists(minio, s3.bucket(), "vector-banks/" + sha)).isTrue();
        given().get("/internal/tenants/{t}/vector_banks/{id}/content", tenant, platformId).then().statusCode(200)
                .header("X-Vbank-Sha256", sha);

        // a bank no one shares: its object goes with it
        AdapterWeights lone = adapter(33);
        String loneAdapter = upload(owner, "ftjob-p3", BASE, CompactFormat.write(lone, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
        Response loneBank = publish(owner, loneAdapter, null);
        String loneSha = loneBank.path("sha256");
        given().delete("/internal/tenants/{t}/vector_banks/{id}", owner, (String) loneBank.path("id")).then()
                .statusCode(200);
        assertThat(Infra.exists(minio, s3.bucket(), "vector-banks/" + loneSha)).isFalse();
        given().get("/internal/tenants/{t}/adapters/{id}", owner, loneAdapter).then().statusCode(200)
                .body("vector_bank", nullValue());
    }

    @Test
    void onlyVbloraAdaptersHaveABankToPublish() {
        String tenant = Infra.tenant();
        AdapterWeights lora = loraAdapter();
        String id = given().contentType("application/octet-stream").body(CompactFormat.write(lora, CompactFormat.Options.FP32))
                .queryParam("job_id", "ftjob-l1").queryParam("base_model", BASE).queryParam("method", "lora")
                .post("/internal/tenants/{t}/adapters", tenant).then().statusCode(201).extract().path("id");
        publish(tenant, id, null).then().statusCode(400).body("error.param", is("from_adapter"));
        given().contentType("application/json").body(Map.of("name", "x"))
                .post("/internal/tenants/{t}/vector_banks", tenant).then().statusCode(400)
                .body("error.param", is("from_adapter"));
    }

    static AdapterWeights loraAdapter() {
        java.util.Random rnd = new java.util.Random(7);
        var c = dev.vbank.vblora.config.LoraConfig.defaults().withR(2)
                .withTargetModules(dev.vbank.vblora.config.TargetModules.QV).withLayersToTransform(List.of(0));
        List<dev.vbank.vblora.format.LoraModule> modules = PATHS.stream().map(p -> new dev.vbank.vblora.format.LoraModule(
                p, 384, 384, AdaptersApiTest.random(rnd, 0.1, 2, 384), AdaptersApiTest.random(rnd, 0.1, 384, 2))).toList();
        return AdapterWeights.lora(c, BASE, BaseModels.ALL_MINILM_L6_V2.weightsSha256(), modules,
                Map.of("classifier.weight", AdaptersApiTest.random(rnd, 0.05, 2, 384),
                        "classifier.bias", AdaptersApiTest.random(rnd, 0.05, 2)), "SEQ_CLS", List.of("0", "1"), Map.of());
    }
}
