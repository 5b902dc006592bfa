package dev.vbank.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.text.model.BaseModels;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.LoraModule;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;
import io.minio.MinioClient;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** PEFT export in both save modes and PEFT import (VB-LoRA both modes, LoRA) through the internal API. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,s3"))
class PeftInteropApiTest {

    static final String BASE = BaseModels.ALL_MINILM_L6_V2.id();
    static final String HF_ID = "sentence-transformers/all-MiniLM-L6-v2";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String Q0 = "base_model.model.encoder.layer.0.attention.self.query";

    @Inject
    MinioClient minio;

    @Inject
    S3Config s3;

    @Inject
    DataSource dataSource;

    static String trained(String tenant, String job, AdapterWeights a) {
        return AdaptersApiTest.upload(tenant, job, BASE, CompactFormat.write(a, CompactFormat.Options.FP32))
                .then().statusCode(201).extract().path("id");
    }

    static Response peft(String tenant, String id, String saveOnlyTopk) {
        var req = given().queryParam("format", "peft");
        if (saveOnlyTopk != null) {
            req = req.queryParam("save_only_topk_weights", saveOnlyTopk);
        }
        return req.get("/internal/tenants/{t}/adapters/{id}/content", tenant, id);
    }

    static Response importZip(String tenant, byte[] zip, String model) {
        var req = given().contentType("application/zip").body(zip);
        if (model != null) {
            req = req.queryParam("model", model);
        }
        return req.post("/internal/tenants/{t}/adapters/import", tenant);
    }

    @Test
    void exportsEitherSaveModeWhereTheLogitsExist() throws Exception {
        String tenant = Infra.tenant();
        AdapterWeights a = AdaptersApiTest.adapter(11);
        String id = trained(tenant, "ftjob-peft-1", a);

        Map<String, byte[]> full = unzip(peft(tenant, id, null).then().statusCode(200).extract().asByteArray());
        assertThat(full).containsOnlyKeys(PeftFormat.CONFIG_FILE, PeftFormat.WEIGHTS_FILE, PeftFormat.HEAD_FILE,
                PeftFormat.README_FILE);
        JsonNode cfg = JSON.readTree(full.get(PeftFormat.CONFIG_FILE));
        assertThat(cfg.get("save_only_topk_weights").asBoolean()).as("PEFT's default: full logits").isFalse();
        assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo(HF_ID);
        assertThat(cfg.get("task_type").isNull()).isTrue();
        assertThat(cfg.get("auto_mapping").get("base_model_class").asText()).isEqualTo("BertModel");
        assertThat(Safetensors.read(full.get(PeftFormat.WEIGHTS_FILE)).tensors()).containsKey(Q0 + ".vblora_logits_A");
        assertThat(new String(full.get(PeftFormat.README_FILE), StandardCharsets.UTF_8)).contains(HF_ID);

        Map<String, byte[]> topk = unzip(peft(tenant, id, "true").then().statusCode(200).extract().asByteArray());
        assertThat(JSON.readTree(topk.get(PeftFormat.CONFIG_FILE)).get("save_only_topk_weights").asBoolean()).isTrue();
        assertThat(Safetensors.read(topk.get(PeftFormat.WEIGHTS_FILE)).tensors())
                .containsKey(Q0 + ".vblora_logits_A_topk_indices").doesNotContainKey(Q0 + ".vblora_logits_A");

        // stored with top-k only: that is the default, and full logits cannot be made up
        AdapterWeights topkOnly = AdaptersApiTest.adapter(12);
        topkOnly = AdapterWeights.vblora(topkOnly.vbloraConfig().withSaveOnlyTopkWeights(true), BASE,
                topkOnly.baseWeightsSha256(), topkOnly.vectorBank(), topkOnly.vbloraModules().values(), topkOnly.head(),
                topkOnly.taskType(), topkOnly.labels(), topkOnly.provenance());
        String id2 = trained(tenant, "ftjob-peft-2", topkOnly);
        assertThat(JSON.readTree(unzip(peft(tenant, id2, null).then().statusCode(200).extract().asByteArray())
                .get(PeftFormat.CONFIG_FILE)).get("save_only_topk_weights").asBoolean()).isTrue();
        peft(tenant, id2, "false").then().statusCode(400).body("error.param", is("save_only_topk_weights"))
                .body("error.message", containsString("no logits"));
        peft(tenant, id, "maybe").then().statusCode(400).body("error.param", is("save_only_topk_weights"));
        given().queryParam("save_only_topk_weights", "true").get("/internal/tenants/{t}/adapters/{id}/content", tenant, id)
                .then().statusCode(400).body("error.param", is("save_only_topk_weights"));
    }

    @Test
    void exportImportExportKeepsTheTensorBytes() throws Exception {
        String tenant = Infra.tenant();
        String id = trained(tenant, "ftjob-peft-3", AdaptersApiTest.adapter(13));
        for (String mode : List.of("false", "true")) {
            byte[] zip = peft(tenant, id, mode).then().statusCode(200).extract().asByteArray();
            Response imported = importZip(tenant, zip, null);
            imported.then().statusCode(201).body("source", is("imported")).body("job_id", nullValue())
                    .body("base_model", is(BASE)).body("method", is("vblora"));
            byte[] zip2 = peft(tenant, imported.path("id"), mode).then().statusCode(200).extract().asByteArray();
            assertThat(tensors(unzip(zip2).get(PeftFormat.WEIGHTS_FILE))).as(mode)
                    .isEqualTo(tensors(unzip(zip).get(PeftFormat.WEIGHTS_FILE)));
            assertThat(unzip(zip2).get(PeftFormat.HEAD_FILE)).isEqualTo(unzip(zip).get(PeftFormat.HEAD_FILE));
        }
    }

    @Test
    void importsPeftsOwnAdapterAndReproducesItsDeltas() throws Exception {
        Path dir = fixture();
        String tenant = Infra.tenant();
        byte[] zip = zip(Map.of(PeftFormat.CONFIG_FILE, Files.readAllBytes(dir.resolve(PeftFormat.CONFIG_FILE)),
                PeftFormat.WEIGHTS_FILE, Files.readAllBytes(dir.resolve(PeftFormat.WEIGHTS_FILE))));
        // PEFT wrote base_model_name_or_path null: the model must be named
        importZip(tenant, zip, null).then().statusCode(400).body("error.param", is("model"));
        importZip(tenant, zip, "no-such-model").then().statusCode(400).body("error.param", is("model"));
        Response r = importZip(tenant, zip, HF_ID);
        r.then().statusCode(201).body("base_model", is(BASE)).body("method", is("vblora"))
                .body("config.save_only_topk_weights", is(false));
        byte[] exported = peft(tenant, r.path("id"), null).then().statusCode(200).extract().asByteArray();
        AdapterWeights back = PeftFormat.importZip(exported);
        Map<String, Safetensors.Entry> expected =
                Safetensors.read(dir.resolve("expected_delta_weights.safetensors")).tensors();
        for (Map.Entry<String, Safetensors.Entry> e : expected.entrySet()) {
            assertThat(relativeError(back.deltaWeight(e.getKey()), e.getValue().toTensor())).as(e.getKey())
                    .isLessThanOrEqualTo(1e-6);
        }
        assertThat(tensors(unzip(exported).get(PeftFormat.WEIGHTS_FILE)))
                .isEqualTo(tensors(Files.readAllBytes(dir.resolve(PeftFormat.WEIGHTS_FILE))));
    }

    @Test
    void loraRoundTripsAsPeftLora() throws Exception {
        String tenant = Infra.tenant();
        Random rnd = new Random(14);
        LoraConfig lc = LoraConfig.defaults().withR(4).withAlpha(8).withTargetModules(TargetModules.QV)
                .withLayersToTransform(List.of(0));
        List<LoraModule> modules = new ArrayList<>();
        for (String p : AdaptersApiTest.PATHS) {
            modules.add(new LoraModule(p, 384, 384, AdaptersApiTest.random(rnd, 0.1, 4, 384),
                    AdaptersApiTest.random(rnd, 0.1, 384, 4)));
        }
        Map<String, Tensor> head = new LinkedHashMap<>();
        head.put("classifier.weight", AdaptersApiTest.random(rnd, 0.05, 2, 384));
        head.put("classifier.bias", AdaptersApiTest.random(rnd, 0.05, 2));
        AdapterWeights lora = AdapterWeights.lora(lc, BASE, BaseModels.ALL_MINILM_L6_V2.weightsSha256(), modules, head,
                "SEQ_CLS", List.of("neg", "pos"), Map.of());
        String id = given().contentType("application/octet-stream").body(CompactFormat.write(lora, CompactFormat.Options.FP32))
                .queryParam("job_id", "ftjob-lora-peft").queryParam("base_model", BASE).queryParam("method", "lora")
                .post("/internal/tenants/{t}/adapters", tenant).then().statusCode(201).extract().path("id");
        byte[] zip = peft(tenant, id, null).then().statusCode(200).extract().asByteArray();
        assertThat(JSON.readTree(unzip(zip).get(PeftFormat.CONFIG_FILE)).get("peft_type").asText()).isEqualTo("LORA");
        peft(tenant, id, "true").then().statusCode(400).body("error.param", is("save_only_topk_weights"));
        String imported = importZip(tenant, zip, null).then().statusCode(201).body("method", is("lora"))
                .extract().path("id");
        AdapterWeights back = PeftFormat.importZip(peft(tenant, imported, null).then().statusCode(200).extract().asByteArray());
        for (String p : AdaptersApiTest.PATHS) {
            assertThat(back.deltaWeight(p)).isEqualTo(lora.deltaWeight(p));
        }
    }

    @Test
    void badFilesAreRejectedNamingTheTensorOrFieldAndNothingIsStored() throws Exception {
        String tenant = Infra.tenant();
        PeftFormat.Export good = PeftFormat.toFiles(AdaptersApiTest.adapter(15), new PeftFormat.Options(false, "",
                PeftFormat.Target.bert(HF_ID, "mean", "")));
        expectRejected(tenant, tamperTensor(good, Q0 + ".vblora_logits_A", t -> {
            float[] d = t.data().clone();
            d[5] = Float.NaN;
            return new Tensor(t.shape(), d);
        }), Q0 + ".vblora_logits_A", "non-finite");
        expectRejected(tenant, tamperTensor(good, PeftFormat.BANK_KEY, t -> AdaptersApiTest.random(new Random(1), 0.1, 16, 48)),
                "vector_length", null);
        expectRejected(tenant, tamperConfig(good, "\"vector_length\" : 64", "\"vector_length\" : 32"), "vector_length", null);
        expectRejected(tenant, renameModule(good, "encoder.layer.0.", "encoder.layer.9."),
                "encoder.layer.9.attention.self.query", "does not exist");
        expectRejected(tenant, tamperConfig(good, "\"peft_type\" : \"VBLORA\"", "\"peft_type\" : \"IA3\""), "peft_type", null);
        expectRejected(tenant, "not a zip".getBytes(StandardCharsets.UTF_8), "zip", null);
        expectRejected(tenant, zip(Map.of(PeftFormat.WEIGHTS_FILE, good.adapterModel())), PeftFormat.CONFIG_FILE, null);

        PeftFormat.Export topk = PeftFormat.toFiles(AdaptersApiTest.adapter(15), new PeftFormat.Options(true, "",
                PeftFormat.Target.bert(HF_ID, "mean", "")));
        Map<String, byte[]> files = new TreeMap<>(topk.files());
        Safetensors.Contents st = Safetensors.read(topk.adapterModel());
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (Safetensors.Entry e : st.tensors().values()) {
            entries.add(e.name().equals(Q0 + ".vblora_logits_A_topk_indices")
                    ? Safetensors.Entry.f32(e.name(), new Tensor(e.shape(), new float[(int) e.numel()])) : e);
        }
        files.put(PeftFormat.WEIGHTS_FILE, Safetensors.write(st.metadata(), entries));
        expectRejected(tenant, zip(files), Q0 + ".vblora_logits_A_topk_indices", "dtype");

        assertThat(Infra.rows(dataSource, "select count(*) from artifacts.adapters where tenant = ?", tenant)).isZero();
        assertThat(Infra.objects(minio, s3.bucket(), "tenants/" + tenant + "/adapters/")).isZero();
    }

    private static void expectRejected(String tenant, byte[] zip, String named, String alsoSays) {
        var r = importZip(tenant, zip, null).then().statusCode(400).body("error.message", containsString(named));
        if (alsoSays != null) {
            r.body("error.message", containsString(alsoSays));
        }
    }

    private static byte[] tamperTensor(PeftFormat.Export e, String name, UnaryOperator<Tensor> change) {
        Safetensors.Contents st = Safetensors.read(e.adapterModel());
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (Safetensors.Entry x : st.tensors().values()) {
            entries.add(x.name().equals(name) ? Safetensors.Entry.f32(name, change.apply(x.toTensor())) : x);
        }
        Map<String, byte[]> files = new TreeMap<>(e.files());
        files.put(PeftFormat.WEIGHTS_FILE, Safetensors.write(st.metadata(), entries));
        return zip(files);
    }

    private static byte[] renameModule(PeftFormat.Export e, String from, String to) {
        Safetensors.Contents st = Safetensors.read(e.adapterModel());
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (Safetensors.Entry x : st.tensors().values()) {
            entries.add(new Safetensors.Entry(x.name().replace(from, to), x.dtype(), x.shape(), x.data()));
        }
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.remove("vbank.config");
        Map<String, byte[]> files = new TreeMap<>(e.files());
        files.put(PeftFormat.WEIGHTS_FILE, Safetensors.write(meta, entries));
        files.put(PeftFormat.CONFIG_FILE, new String(e.adapterConfig(), StandardCharsets.UTF_8).replace(from, to)
                .replace("\"layers_to_transform\" : [ 0 ]", "\"layers_to_transform\" : null").getBytes(StandardCharsets.UTF_8));
        return zip(files);
    }

    private static byte[] tamperConfig(PeftFormat.Export e, String from, String to) {
        String cfg = new String(e.adapterConfig(), StandardCharsets.UTF_8);
        assertThat(cfg).contains(from);
        Map<String, byte[]> files = new TreeMap<>(e.files());
        files.put(PeftFormat.CONFIG_FILE, cfg.replace(from, to).getBytes(StandardCharsets.UTF_8));
        return zip(files);
    }

    /** {@code vbank.peft.fixture.dir}, absolute or relative to the repository root; default beside the repository. */
    static Path fixture() {
        String configured = System.getProperty("vbank.peft.fixture.dir");
        Path root = Path.of("").toAbsolutePath();
        while (root.getParent() != null && !Files.isDirectory(root.resolve(".mvn"))) {
            root = root.getParent();
        }
        Path dir = root.resolve(configured == null || configured.isBlank() ? "../shared/reference/peft-0.21" : configured)
                .normalize().resolve("bert-qv-full");
        Assumptions.assumeTrue(Files.isDirectory(dir), "PEFT 0.21 fixture not found (vbank.peft.fixture.dir="
                + configured + ", resolved " + dir + "): skipping");
        return dir;
    }

    static Map<String, Tensor> tensors(byte[] safetensors) {
        Map<String, Tensor> out = new TreeMap<>();
        Safetensors.read(safetensors).tensors().forEach((k, v) -> out.put(k,
                v.dtype() == Safetensors.DType.F32 ? v.toTensor() : new Tensor(v.shape(), toFloats(v.toInts()))));
        return out;
    }

    private static float[] toFloats(int[] ints) {
        float[] f = new float[ints.length];
        for (int i = 0; i < ints.length; i++) {
            f[i] = ints[i];
        }
        return f;
    }

    static Map<String, byte[]> unzip(byte[] zip) throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                files.put(e.getName(), z.readAllBytes());
            }
        }
        return files;
    }

    static byte[] zip(Map<String, byte[]> files) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> f : new TreeMap<>(files).entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue());
                z.closeEntry();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    static double relativeError(Tensor got, Tensor want) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.data().length; i++) {
            double d = (double) got.data()[i] - want.data()[i];
            num += d * d;
            den += (double) want.data()[i] * want.data()[i];
        }
        return Math.sqrt(num / den);
    }
}
