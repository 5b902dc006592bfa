package dev.vbank.scheduler.api;

import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** {@code init_adapter}: checked against the stored adapter at create, its shapes filled in where the job sets none. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class InitAdapterApiTest {

    static final String PARAM = "method.hyperparameters.init_adapter";

    static String adapter(String id, String method, String model, String config) {
        return """
                {"id": "%s", "object": "adapter", "job_id": null, "base_model": "%s", "method": "%s", "sha256": "ab",
                 "source": "imported", "config": %s}""".formatted(id, model, method, config);
    }

    static String job(String method, String hyperparameters) {
        return """
                {"model": "all-minilm-l6-v2", "training_file": "file-1",
                 "method": {"type": "%s", "hyperparameters": %s}}""".formatted(method, hyperparameters);
    }

    @Test
    void continuesFromAStoredAdapterWithItsShapes() {
        String tenant = TestSupport.tenant("init");
        ArtifactStub.putAdapterJson(tenant, "adapter-v1", adapter("adapter-v1", "vblora", "all-minilm-l6-v2", """
                {"num_vectors": 64, "vector_length": 128, "r": 4, "topk": 2, "target_modules": "query,value",
                 "layers_to_transform": null, "save_only_topk_weights": false}"""));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-v1\", \"n_epochs\": 2}"), null)
                .statusCode(200)
                .body("method.hyperparameters.init_adapter", is("adapter-v1"))
                .body("method.hyperparameters.num_vectors", is(64))
                .body("method.hyperparameters.vector_length", is(128))
                .body("method.hyperparameters.target_modules", is("query,value"))
                .body("method.hyperparameters.n_epochs", is(2));
        // the same value given explicitly is fine; another is a 400 naming it
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-v1\", \"r\": 4}"), null).statusCode(200);
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-v1\", \"r\": 8}"), null).statusCode(400)
                .body("error.param", is("method.hyperparameters.r")).body("error.message", containsString("adapter-v1"));
    }

    @Test
    void rejectsAdaptersThatCannotBeContinued() {
        String tenant = TestSupport.tenant("init-bad");
        ArtifactStub.putAdapterJson(tenant, "adapter-topk", adapter("adapter-topk", "vblora", "all-minilm-l6-v2", """
                {"num_vectors": 64, "vector_length": 128, "r": 4, "topk": 2, "save_only_topk_weights": true}"""));
        ArtifactStub.putAdapterJson(tenant, "adapter-lora", adapter("adapter-lora", "lora", "all-minilm-l6-v2",
                "{\"r\": 8, \"target_modules\": \"qv\"}"));
        ArtifactStub.putAdapterJson(tenant, "adapter-bge", adapter("adapter-bge", "vblora", "bge-small-en-v1.5",
                "{\"num_vectors\": 64, \"vector_length\": 128, \"save_only_topk_weights\": false}"));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-none\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("no adapter"));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-topk\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("save_only_topk_weights"));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-lora\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("lora adapter"));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": \"adapter-bge\"}"), null).statusCode(400)
                .body("error.param", is(PARAM)).body("error.message", containsString("bge-small-en-v1.5"));
        JobApiTest.create(tenant, job("vblora", "{\"init_adapter\": 7}"), null).statusCode(400)
                .body("error.param", is(PARAM));
        JobApiTest.create(tenant, job("lora", "{\"init_adapter\": \"adapter-lora\", \"lora_alpha\": 16}"), null)
                .statusCode(200).body("method.hyperparameters.r", is(8));
    }
}
