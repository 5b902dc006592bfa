package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.VectorBankFile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.vbank.e2e.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Per-user adapters in kilobytes (issue 12) on the whole local platform, through the public API: a VB-LoRA adapter
 * trained on UCI Amazon sentences, its bank published ({@code POST /v1/vector_banks}), a second adapter trained on UCI
 * Yelp sentences against that bank (frozen) and stored in at most 4 KB, its PEFT and merged downloads self-contained,
 * its predictions served; the bank cannot be deleted while referenced; another tenant gets 404 for the bank and 400 when
 * a job names it, but trains against the platform-wide bank {@code vbank-local seed-bank} publishes.
 * {@code -Dvbank.e2e.skip=true} skips it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedBankEndToEndTest {

    static final int TRAIN_ROWS = 96;
    static final int BATCH = 12;

    LocalPlatform platform;

    @BeforeAll
    void up() throws Exception {
        platform = LocalPlatform.started("banks");
    }

    @AfterAll
    void down() throws Exception {
        if (platform != null) {
            platform.down();
        }
    }

    @Test
    void publishTrainAgainstDownloadServeAndRefuse() throws Exception {
        Api.Tenant t = Api.createTenant(platform.adminToken, "bank-a");
        Api.Tenant other = Api.createTenant(platform.adminToken, "bank-b");
        Path data = platform.repo.resolve("e2e-tests/target/datasets");
        Files.createDirectories(data);
        List<String> amazon = Api.amazonRows(platform.repo);
        List<String> yelp = Files.readAllLines(PublicDatasets.fetch(PublicDatasets.UCI_YELP, data, 13).jsonl(),
                StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        String amazonFile = Api.upload(t.key(), "amazon.jsonl", amazon.subList(0, TRAIN_ROWS)).path("id").asText();
        String yelpFile = Api.upload(t.key(), "yelp.jsonl", yelp.subList(0, TRAIN_ROWS)).path("id").asText();

        // ---- a private-bank adapter, its bank published
        String sourceJob = create(t, amazonFile, Map.of("num_vectors", 90, "vector_length", 128), 200);
        String sourceAdapter = awaitJob(t, sourceJob).path("adapter_id").asText();
        Response pub = as(t.key()).contentType("application/json")
                .body("{\"from_adapter\": \"" + sourceAdapter + "\", \"name\": \"amazon\"}").post("/v1/vector_banks");
        assertThat(pub.statusCode()).as(pub.asString()).isEqualTo(201);
        JsonNode bank = Api.JSON.readTree(pub.asString());
        String bankId = bank.path("id").asText();
        assertThat(bankId).startsWith("vbank-");
        assertThat(bank.path("num_vectors").asInt()).isEqualTo(90);
        assertThat(bank.path("vector_length").asInt()).isEqualTo(128);
        assertThat(bank.path("scope").asText()).isEqualTo("tenant");
        JsonNode listed = Api.JSON.readTree(as(t.key()).get("/v1/vector_banks").asString());
        assertThat(listed.path("data").findValuesAsText("id")).contains(bankId);
        byte[] bankFile = as(t.key()).get("/v1/vector_banks/" + bankId + "/content").asByteArray();
        assertThat(VectorBankFile.sha256(bankFile)).isEqualTo(bank.path("sha256").asText());

        // ---- a per-user adapter on the other task against the bank: shape from the bank, frozen
        Response created = createResponse(t, yelpFile, Map.of("vector_bank", bankId));
        assertThat(created.statusCode()).as(created.asString()).isEqualTo(200);
        JsonNode hp = Api.JSON.readTree(created.asString()).path("method").path("hyperparameters");
        assertThat(hp.path("num_vectors").asInt()).isEqualTo(90);
        assertThat(hp.path("bank_mode").asText()).isEqualTo("frozen");
        String userAdapter = awaitJob(t, Api.JSON.readTree(created.asString()).path("id").asText())
                .path("adapter_id").asText();
        JsonNode meta = Api.JSON.readTree(as(t.key()).get("/v1/adapters/" + userAdapter).asString());
        assertThat(meta.path("vector_bank").asText()).isEqualTo(bankId);
        long bytes = meta.path("bytes").asLong();
        long sourceBytes = Api.JSON.readTree(as(t.key()).get("/v1/adapters/" + sourceAdapter).asString())
                .path("bytes").asLong();
        System.out.printf("[e2e] shared-bank adapter %d bytes (qv, MiniLM, h 90, b 128, r 4, k 2); the source "
                + "adapter with its own bank and logits %d bytes%n", bytes, sourceBytes);
        assertThat(bytes).isLessThanOrEqualTo(4096);
        assertThat(Api.JSON.readTree(as(t.key()).get("/v1/vector_banks/" + bankId).asString()).path("adapters")
                .asLong()).isEqualTo(1);

        byte[] compact = as(t.key()).get("/v1/adapters/" + userAdapter + "/content").asByteArray();
        assertThat(compact).hasSize((int) bytes);
        assertThat(CompactFormat.bankRef(compact)).isEqualTo(new BankRef(bankId, bank.path("sha256").asText()));
        AdapterWeights user = CompactFormat.read(compact, ref -> bankFile);

        // ---- downloads are self-contained: PEFT holds the bank, merged has it applied
        byte[] zip = as(t.key()).get("/v1/adapters/" + userAdapter + "/content?format=peft").asByteArray();
        AdapterWeights peft = PeftFormat.importZip(zip);
        assertThat(peft.vectorBank()).isEqualTo(user.vectorBank());
        String q = user.adaptedPaths().get(0);
        assertThat(peft.deltaWeight(q).data()).containsExactly(user.deltaWeight(q).data(), within(1e-6f));
        Response merged = as(t.key()).get("/v1/adapters/" + userAdapter + "/content?format=merged");
        assertThat(merged.statusCode()).isEqualTo(200);
        assertThat(Safetensors.read(merged.asByteArray()).tensors()).containsKey(q + ".weight");

        // ---- served with its bank
        Response p = as(t.key()).contentType("application/json").body("{\"adapter\": \"" + userAdapter
                + "\", \"inputs\": [\"The food was great and the staff friendly.\"]}").post("/v1/predictions");
        assertThat(p.statusCode()).as(p.asString()).isEqualTo(200);
        assertThat(Api.JSON.readTree(p.asString()).path("data").get(0).path("label").asText()).isIn("0", "1");

        // ---- referenced: no delete; another tenant: 404, and 400 when a job names it
        Response del = as(t.key()).delete("/v1/vector_banks/" + bankId);
        assertThat(del.statusCode()).as(del.asString()).isEqualTo(409);
        assertThat(Api.JSON.readTree(del.asString()).path("error").path("code").asText()).isEqualTo("vector_bank_in_use");
        assertThat(as(other.key()).get("/v1/vector_banks/" + bankId).statusCode()).isEqualTo(404);
        assertThat(as(other.key()).delete("/v1/vector_banks/" + bankId).statusCode()).isEqualTo(404);
        String otherFile = Api.upload(other.key(), "yelp.jsonl", yelp.subList(0, TRAIN_ROWS)).path("id").asText();
        Response refused = createResponse(other, otherFile, Map.of("vector_bank", bankId));
        assertThat(refused.statusCode()).as(refused.asString()).isEqualTo(400);
        assertThat(Api.JSON.readTree(refused.asString()).path("error").path("param").asText())
                .isEqualTo("method.hyperparameters.vector_bank");

        // ---- a platform-wide bank seeded by deploy: the other tenant may use it, not delete it
        LocalPlatform.Result seeded = platform.launcher(Duration.ofMinutes(2), "seed-bank", "--from-adapter",
                sourceAdapter, "--tenant", t.id(), "--name", "minilm shared");
        assertThat(seeded.exit()).as(seeded.output()).isZero();
        assertThat(seeded.output()).contains("platform-wide vector bank published");
        JsonNode banks = Api.JSON.readTree(as(other.key()).get("/v1/vector_banks").asString());
        String platformBank = null;
        for (JsonNode b : banks.path("data")) {
            if (b.path("scope").asText().equals("platform") && b.path("name").asText().equals("minilm shared")) {
                platformBank = b.path("id").asText();
            }
        }
        assertThat(platformBank).as("the seeded bank in " + banks).isNotNull();
        assertThat(as(other.key()).delete("/v1/vector_banks/" + platformBank).statusCode()).isEqualTo(409);
        Response ok = createResponse(other, otherFile, Map.of("vector_bank", platformBank));
        assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
        JsonNode trained = awaitJob(other, Api.JSON.readTree(ok.asString()).path("id").asText());
        JsonNode otherMeta = Api.JSON.readTree(as(other.key()).get("/v1/adapters/" + trained.path("adapter_id").asText())
                .asString());
        assertThat(otherMeta.path("vector_bank").asText()).isEqualTo(platformBank);
        assertThat(otherMeta.path("bytes").asLong()).isLessThanOrEqualTo(4096);
    }

    private String create(Api.Tenant t, String file, Map<String, Object> hp, int status) throws Exception {
        Response r = createResponse(t, file, hp);
        assertThat(r.statusCode()).as("create job: " + r.asString()).isEqualTo(status);
        return Api.JSON.readTree(r.asString()).path("id").asText();
    }

    private static Response createResponse(Api.Tenant t, String file, Map<String, Object> hyperparameters) {
        ObjectNode body = Api.JSON.createObjectNode();
        body.put("model", "all-minilm-l6-v2");
        body.put("training_file", file);
        ObjectNode m = body.putObject("method");
        m.put("type", "vblora");
        ObjectNode hp = m.putObject("hyperparameters");
        hp.put("n_epochs", 1);
        hp.put("batch_size", BATCH);
        hp.put("max_seq_length", 48);
        hyperparameters.forEach((k, v) -> hp.set(k, Api.JSON.valueToTree(v)));
        body.put("seed", 5);
        return as(t.key()).contentType("application/json").body(body.toString()).post("/v1/fine_tuning/jobs");
    }

    private JsonNode awaitJob(Api.Tenant t, String id) throws Exception {
        long deadline = System.currentTimeMillis() + 8 * 60_000L;
        while (System.currentTimeMillis() < deadline) {
            JsonNode job = Api.job(t.key(), id);
            if (JobStatus.isTerminal(job.path("status").asText())) {
                assertThat(job.path("status").asText()).as("job " + job + "\nworker log:\n"
                        + PlatformEndToEndTest.tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");
                return job;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("job " + id + " did not finish");
    }
}
