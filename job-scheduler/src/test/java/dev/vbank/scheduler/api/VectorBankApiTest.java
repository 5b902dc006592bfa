package dev.vbank.scheduler.api;

import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static dev.vbank.scheduler.api.InitAdapterApiTest.adapter;
import static dev.vbank.scheduler.api.InitAdapterApiTest.job;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * {@code vector_bank}: a VB-LoRA job names a published bank; bad references fail at create with a 400 naming
 * {@code method.hyperparameters.vector_bank}, and the bank's shape fills the job's where it sets none.
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class VectorBankApiTest {

    static final String PARAM = "method.hyperparameters.vector_bank";

    static String bank(String id, String model, int h, int b) {
        return """
                {"id": "%s", "object": "vector_bank", "scope": "tenant", "base_model": "%s", "num_vectors": %d,
                 "vector_length": %d, "sha256": "%s"}""".formatted(id, model, h, b, "ab".repeat(32));
    }

    @Test
    void takesTheBanksShapeAndDefaultsToFrozen() {
        String tenant = TestSupport.tenant("bank");
        ArtifactStub.putVectorBank(tenant, "vbank-a", bank("vbank-a", "all-minilm-l6-v2", 64, 128));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-a\", \"n_epochs\": 2}"), null)
                .statusCode(200)
                .body("method.hyperparameters.vector_bank", is("vbank-a"))
                .body("method.hyperparameters.bank_mode", is("frozen"))
                .body("method.hyperparameters.num_vectors", is(64))
                .body("method.hyperparameters.vector_length", is(128));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-a\", \"num_vectors\": 64, "
                + "\"bank_mode\": \"frozen\", \"target_modules\": \"all-linear\"}"), null).statusCode(200);
    }

    @Test
    void badReferencesFailAtCreateNamingTheField() {
        String tenant = TestSupport.tenant("bank-bad");
        String other = TestSupport.tenant("bank-other");
        ArtifactStub.putVectorBank(other, "vbank-theirs", bank("vbank-theirs", "all-minilm-l6-v2", 64, 128));
        ArtifactStub.putVectorBank(tenant, "vbank-bge", bank("vbank-bge", "bge-small-en-v1.5", 64, 128));
        ArtifactStub.putVectorBank(tenant, "vbank-b96", bank("vbank-b96", "all-minilm-l6-v2", 64, 96));
        ArtifactStub.putVectorBank(tenant, "vbank-b256", bank("vbank-b256", "all-minilm-l6-v2", 64, 256));
        ArtifactStub.putVectorBank(tenant, "vbank-ok", bank("vbank-ok", "all-minilm-l6-v2", 64, 128));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-none\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("no vector bank"));
        // another tenant's private bank is as unknown as one that does not exist
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-theirs\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("no vector bank"));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-bge\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("bge-small-en-v1.5"));
        // b = 96 divides 384 and 1536; b = 256 does not divide 384
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-b96\"}"), null).statusCode(200);
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-b96\", \"target_modules\": \"all-linear\"}"),
                null).statusCode(200);
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-b256\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("vector_length 256"));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-ok\", \"num_vectors\": 90}"), null)
                .statusCode(400).body("error.param", is(PARAM)).body("error.message", containsString("has 64"));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-ok\", \"vector_length\": 64}"), null)
                .statusCode(400).body("error.param", is(PARAM));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"adapter-1\"}"), null).statusCode(400)
                .body("error.param", is(PARAM));
        JobApiTest.create(tenant, job("lora", "{\"vector_bank\": \"vbank-ok\"}"), null).statusCode(400)
                .body("error.param", is(PARAM));
        JobApiTest.create(tenant, job("vblora", "{\"vector_bank\": \"vbank-ok\", \"bank_mode\": \"alternate\"}"), null)
                .statusCode(400).body("error.param", is("method.hyperparameters.bank_mode"))
                .body("error.message", containsString("not implemented"));
        JobApiTest.create(tenant, job("vblora", "{\"bank_mode\": \"frozen\"}"), null).statusCode(400)
                .body("error.param", is("method.hyperparameters.bank_mode"));
        // an adapter trained against a bank has no logits to continue from
        ArtifactStub.putAdapterJson(tenant, "adapter-shared", adapter("adapter-shared", "vblora", "all-minilm-l6-v2",
                "{\"num_vectors\": 64, \"vector_length\": 128, \"save_only_topk_weights\": false}")
                .replace("\"source\": \"imported\"", "\"source\": \"trained\", \"vector_bank\": \"vbank-ok\""));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-shared\"}"), null).statusCode(400)
                .body("error.param", is(InitAdapterApiTest.PARAM)).body("error.message", containsString("vbank-ok"));
    }
}
