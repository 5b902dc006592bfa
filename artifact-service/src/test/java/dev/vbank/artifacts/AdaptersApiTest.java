package dev.vbank.artifacts;

import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.LowRank;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VbloraModule;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class AdaptersApiTest {

    static final String BASE = BaseModels.ALL_MINILM_L6_V2.id();
    static final List<String> PATHS = List.of("encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.value");

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    /** A VB-LoRA adapter on all-MiniLM-L6-v2's first layer (query, value: 384×384), with a two-class head. */
    static AdapterWeights adapter(long seed) {
        Random rnd = new Random(seed);
        VbloraConfig c = VbloraConfig.builder().numVectors(16).vectorLength(64).r(2).topk(2)
                .targetModules(TargetModules.QV).layersToTransform(List.of(0)).build();
        List<VbloraModule> modules = new ArrayList<>();
        for (String p : PATHS) {
            modules.add(VbloraModule.ofLogits(p, 384, 384, random(rnd, 1.0, 2, 6, 16), random(rnd, 1.0, 6, 2, 16)));
        }
        Map<String, Tensor> head = new LinkedHashMap<>();
        head.put("classifier.weight", random(rnd, 0.05, 2, 384));
        head.put("classifier.bias", random(rnd, 0.05, 2));
        return AdapterWeights.vblora(c, BASE, BaseModels.ALL_MINILM_L6_V2.weightsSha256(), random(rnd, 0.5, 16, 64),
                modules, head, "SEQ_CLS", List.of("0", "1"), Map.of("seed", Long.toString(seed)));
    }

    static Tensor random(Random rnd, double scale, long... shape) {
        long n = 1;
        for (long dim : shape) {
            n *= dim;
        }
        float[] d = new float[Math.toIntExact(n)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * scale);
        }
        return new Tensor(shape, d);
    }

    static Response upload(String tenant, String job, String baseModel, byte[] body) {
        return given().contentType("application/octet-stream").body(body)
                .queryParam("job_id", job).queryParam("base_model", baseModel)
                .queryParam("training_file", "file-0123456789abcdef01234567").queryParam("method", "vblora")
                .post("/internal/tenants/{t}/adapters", tenant);
    }

    private long objectsOf(String tenant) throws Exception {
        return Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/adapters/");
    }

    private long rowsOf(String tenant) throws Exception {
        return Infra.rows(dataSource, "select count(*) from artifacts.adapters where tenant = ?", tenant);
    }

    @Test
    void uploadIsIdempotentPerJobWithParameterCounts() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights a = adapter(1);
        byte[] bytes = CompactFormat.write(a, CompactFormat.Options.FP32);
        Accounting acc = Accounting.of(a, CompactFormat.Options.FP32);

        Response first = upload(tenant, "ftjob-1", BASE, bytes);
        first.then().statusCode(201)
                .body("object", is("adapter"))
                .body("job_id", is("ftjob-1"))
                .body("base_model", is(BASE))
                .body("training_file", is("file-0123456789abcdef01234567"))
                .body("method", is("vblora"))
                .body("format", is("vbank-compact"))
                .body("bytes", is(bytes.length))
                .body("sha256", is(Infra.sha256(bytes)))
                .body("config.num_vectors", is(16))
                .body("config.vector_length", is(64))
                .body("parameters.trainable", is((int) acc.trainable()))
                .body("parameters.peft_savable", is((int) acc.peftSavable()))
                .body("parameters.compact_bytes", is(bytes.length));
        String id = first.path("id");
        assertThat(id).matches("adapter-[0-9a-f]{24}");
        assertThat(Infra.exists(minio, s3.bucket(), "tenants/" + tenant + "/adapters/" + id + "/adapter.vbank")).isTrue();

        byte[] other = CompactFormat.write(adapter(2), CompactFormat.Options.FP16);
        upload(tenant, "ftjob-1", BASE, other).then().statusCode(200).body("id", is(id))
                .body("sha256", is(Infra.sha256(bytes)));
        assertThat(rowsOf(tenant)).isEqualTo(1);
        assertThat(objectsOf(tenant)).isEqualTo(1);

        given().get("/internal/tenants/{t}/adapters/{id}", tenant, id).then().statusCode(200).body("id", is(id));
        Response compact = given().get("/internal/tenants/{t}/adapters/{id}/content", tenant, id);
        compact.then().statusCode(200).header("X-Vbank-Sha256", Infra.sha256(bytes));
        assertThat(compact.asByteArray()).isEqualTo(bytes);
    }

    @Test
    void invalidUploadsAre400AndWriteNothing() throws Exception {
        String tenant = Infra.tenant();
        byte[] good = CompactFormat.write(adapter(3), CompactFormat.Options.FP32);
        byte[] damaged = good.clone();
        damaged[damaged.length - 3] ^= 0x40;
        upload(tenant, "ftjob-2", BASE, "not an adapter".getBytes()).then().statusCode(400)
                .body("error.param", is("body"));
        upload(tenant, "ftjob-2", BASE, damaged).then().statusCode(400).body("error.param", is("body"));
        upload(tenant, "ftjob-2", "no-such-model", good).then().statusCode(400).body("error.param", is("base_model"));
        upload(tenant, "ftjob-2", BaseModels.BGE_SMALL_EN_V15.id(), good).then().statusCode(400)
                .body("error.param", is("base_model"));
        given().contentType("application/octet-stream").body(good).queryParam("job_id", "ftjob-2")
                .queryParam("base_model", BASE).queryParam("method", "lora")
                .post("/internal/tenants/{t}/adapters", tenant).then().statusCode(400).body("error.param", is("method"));
        given().contentType("application/octet-stream").body(good).queryParam("base_model", BASE)
                .post("/internal/tenants/{t}/adapters", tenant).then().statusCode(400).body("error.param", is("job_id"));
        assertThat(rowsOf(tenant)).isZero();
        assertThat(objectsOf(tenant)).isZero();
    }

    @Test
    void peftZipHoldsConfigAndWeights() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights a = adapter(4);
        String id = upload(tenant, "ftjob-3", BASE, CompactFormat.write(a, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
        Response r = given().queryParam("format", "peft").get("/internal/tenants/{t}/adapters/{id}/content", tenant, id);
        r.then().statusCode(200).contentType("application/zip");
        byte[] zip = r.asByteArray();
        assertThat(r.getHeader("X-Vbank-Sha256")).isEqualTo(Infra.sha256(zip));
        Set<String> names = new TreeSet<>();
        try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        assertThat(names).containsExactly(PeftFormat.README_FILE, PeftFormat.CONFIG_FILE, PeftFormat.WEIGHTS_FILE,
                PeftFormat.HEAD_FILE);
        AdapterWeights back = PeftFormat.importZip(zip);
        assertThat(back.kind()).isEqualTo(AdapterKind.VBLORA);
        assertThat(back.adaptedPaths()).isEqualTo(PATHS);
        assertThat(back.deltaWeight(PATHS.get(0)).data()).containsExactly(a.deltaWeight(PATHS.get(0)).data(), within(1e-6f));

        given().queryParam("format", "onnx").get("/internal/tenants/{t}/adapters/{id}/content", tenant, id).then()
                .statusCode(400).body("error.param", is("format"));
    }

    @Test
    void mergedWeightsAddBTimesAToTheBase() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights a = adapter(5);
        String id = upload(tenant, "ftjob-4", BASE, CompactFormat.write(a, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
        Response r = given().queryParam("format", "merged").get("/internal/tenants/{t}/adapters/{id}/content", tenant, id);
        r.then().statusCode(200);
        byte[] bytes = r.asByteArray();
        assertThat(r.getHeader("X-Vbank-Sha256")).isEqualTo(Infra.sha256(bytes));
        Safetensors.Contents merged = Safetensors.read(bytes);

        Map<String, FloatTensor> base = new BaseModelStore(Path.of("target/base-models")).load(BaseModels.ALL_MINILM_L6_V2);
        String w = PATHS.get(0) + ".weight";
        VbloraModule m = a.vbloraModules().get(PATHS.get(0));
        Tensor expected = LowRank.delta(LowRank.composeA(m.selectA(2), a.vectorBank()),
                LowRank.composeB(m.selectB(2), a.vectorBank()), 1f);
        float[] got = merged.require(w).toTensor().data();
        float[] orig = base.get(w).data();
        float maxAbs = 0;
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i] - orig[i]).as("element %d", i).isCloseTo(expected.data()[i], within(2e-5f));
            maxAbs = Math.max(maxAbs, Math.abs(expected.data()[i]));
        }
        assertThat(maxAbs).as("ΔW is not trivially zero").isGreaterThan(0.01f);

        String untouched = "encoder.layer.0.attention.self.key.weight";
        assertThat(merged.require(untouched).toTensor().data()).isEqualTo(base.get(untouched).data());
        assertThat(merged.require("classifier.weight").toTensor().data()).isEqualTo(a.head().get("classifier.weight").data());
        assertThat(merged.tensors()).hasSize(base.size() + 2);
    }

    @Test
    void presignedUrlAndTenantIsolation() throws Exception {
        String tenant = Infra.tenant();
        byte[] bytes = CompactFormat.write(adapter(6), CompactFormat.Options.FP16);
        String id = upload(tenant, "ftjob-5", BASE, bytes).then().statusCode(201).extract().path("id");
        String url = given().get("/internal/tenants/{t}/adapters/{id}/url", tenant, id).then().statusCode(200)
                .extract().path("url");
        HttpResponse<byte[]> fetched = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(Infra.sha256(fetched.body())).isEqualTo(Infra.sha256(bytes));

        String other = Infra.tenant();
        for (String p : List.of("", "/content", "/url")) {
            given().get("/internal/tenants/{t}/adapters/{id}" + p, other, id).then().statusCode(404)
                    .body("error.code", is("adapter_not_found"));
        }
        // the same job id under another tenant is another adapter
        upload(other, "ftjob-5", BASE, bytes).then().statusCode(201);
    }
}
