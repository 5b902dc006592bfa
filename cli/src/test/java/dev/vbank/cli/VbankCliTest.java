package dev.vbank.cli;

import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Argument errors, exit statuses and the requests the commands build, against a recording server (FakeApi). */
class VbankCliTest {

    @TempDir
    Path home;
    FakeApi api;
    Map<String, String> env = new HashMap<>();

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi();
        env.put("VBANK_ENDPOINT", api.endpoint());
        env.put("VBANK_API_KEY", "vbk_test_key_123");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    Run vbank(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = VbankCli.run(args, env, home, new PrintWriter(out, true), new PrintWriter(err, true), false,
                new ByteArrayInputStream("vbk_from_stdin\n".getBytes(StandardCharsets.UTF_8)));
        return new Run(exit, out.toString(), err.toString());
    }

    // ---- arguments

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "jobs create --training-file f                     | Missing required option: '--model",
            "nope                                              | Unmatched argument",
            "jobs watch j1 --progress=fancy                    | Invalid value for option '--progress'",
            "jobs list --limit many                            | Invalid value for option '--limit'",
            "jobs create --model m --training-file f -H lr     | --hyperparameter takes key=value",
            "jobs list --endpoint localhost:8080               | must be an http(s) URL",
            "evals create --suite s                            | name what to evaluate",
            "suites create --task name=t,dataset=file-1,metrics=accuracy | a suite needs a name",
            "suites create --name s --task name=t,dataset=file-1 | --task needs name=, dataset= and metrics=",
            "suites create --name s --task name=t,colour=red   | unknown key 'colour'",
            "adapters download a1 --format onnx                | --format must be native",
            "jobs create --model m --training-file f --eval-baseline head_only | --eval-baseline needs --eval-suite"})
    void argumentErrorsExitTwoWithTheReason(String args, String message) {
        Run r = vbank(args.strip().split("\\s+"));
        assertThat(r.exit()).as(r.err()).isEqualTo(Exit.USAGE);
        assertThat(r.err()).contains(message);
        assertThat(api.requests).as("nothing sent").isEmpty();
    }

    @Test
    void helpAndVersionExitZero() {
        assertThat(vbank("--help").out()).contains("jobs", "evals", "Exit status: 0 ok");
        assertThat(vbank("jobs", "watch", "--help").out()).contains("--progress=MODE");
        String create = vbank("jobs", "create", "--help").out();
        assertThat(create).contains("vblora, lora, head_only (default vblora)", "all-minilm-l6-v2, bge-small-en-v1.5");
        String words = create.replaceAll("\\s+", " ");
        for (Hyperparameter h : Hyperparameters.ALL) {
            assertThat(create).as(h.name()).containsPattern("(?m)^  " + h.name() + " .*, default "
                    + Pattern.quote(h.defaultText()) + ";");
            assertThat(words).contains(h.description());
        }
        assertThat(vbank("--version").exit()).isZero();
    }

    // ---- exit statuses

    @Test
    void noKeyIsAnAuthErrorWithTheFix() {
        env.remove("VBANK_API_KEY");
        Run r = vbank("jobs", "list");
        assertThat(r.exit()).isEqualTo(Exit.AUTH);
        assertThat(r.err()).contains("no API key configured").contains("vbank configure --api-key");
    }

    @Test
    void unreachableEndpointIsAConnectionErrorNamingIt() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = vbank("files", "list", "--endpoint", "http://127.0.0.1:" + port);
        assertThat(r.exit()).isEqualTo(Exit.CONNECTION);
        assertThat(r.err()).contains("http://127.0.0.1:" + port).contains("connection refused");
        Run j = vbank("files", "list", "--endpoint", "http://127.0.0.1:" + port, "--json");
        assertThat(ApiClient.JSON.readTree(j.out()).path("error").path("code").asText()).isEqualTo("connection_error");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "401 | {\"error\":{\"code\":\"unauthorized\",\"message\":\"the API key is not valid\",\"param\":\"Authorization\"}} | 4 | HTTP 401 unauthorized: the API key is not valid (param: Authorization); check the API key: vbank configure",
            "403 | {\"error\":{\"code\":\"forbidden\",\"message\":\"revoked\",\"param\":null}}                                    | 4 | HTTP 403 forbidden: revoked; check the API key",
            "400 | {\"error\":{\"code\":\"invalid_request\",\"message\":\"limit must be 1 to 100\",\"param\":\"limit\"}}            | 1 | HTTP 400 invalid_request: limit must be 1 to 100 (param: limit)",
            "502 | <html>bad gateway</html>                                                                                    | 1 | HTTP 502: <html>bad gateway</html>"})
    void httpErrorsMapToExitStatuses(int status, String body, int exit, String message) {
        api.routes.put("GET /v1/fine_tuning/jobs", (r, ex) -> FakeApi.send(ex, status, "application/json", body));
        Run r = vbank("jobs", "list");
        assertThat(r.exit()).isEqualTo(exit);
        assertThat(r.err()).startsWith("vbank: " + message);
    }

    @Test
    void rateLimitNamesRetryAfterAndJsonPrintsTheErrorObject() throws Exception {
        api.routes.put("GET /v1/files", (r, ex) -> {
            ex.getResponseHeaders().set("Retry-After", "7");
            FakeApi.send(ex, 429, "application/json", "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"param\":null}}");
        });
        Run r = vbank("files", "list", "--json");
        assertThat(r.exit()).isEqualTo(Exit.API_ERROR);
        assertThat(r.err()).contains("slow down").contains("retry after 7 s");
        assertThat(ApiClient.JSON.readTree(r.out()).path("error").path("code").asText()).isEqualTo("rate_limited");
    }

    @Test
    void checkIgnoresSuccess() {
        ApiClient.check(200, "{}", Optional.empty());
        ApiClient.check(302, "", Optional.empty());
        assertThatThrownBy(() -> ApiClient.check(404, "", Optional.empty())).hasMessage("HTTP 404: (no body)");
    }

    // ---- configure

    @Test
    void configureWritesTheProfileAndShowsWhereSettingsComeFrom() throws Exception {
        env.clear();
        Run w = vbank("configure", "--endpoint", "http://h:9/", "--api-key", "vbk_abcdefghijkl", "--profile", "p1");
        assertThat(w.exit()).as(w.err()).isZero();
        Path file = home.resolve(".config/vbank/config.json");
        JsonNode stored = ApiClient.JSON.readTree(file.toFile()).path("profiles").path("p1");
        assertThat(stored.path("endpoint").asText()).isEqualTo("http://h:9");
        assertThat(stored.path("api_key").asText()).isEqualTo("vbk_abcdefghijkl");
        Run show = vbank("configure", "--profile", "p1");
        assertThat(show.out()).contains("endpoint: http://h:9  (file)").contains("vbk_abcd…kl").doesNotContain("efghij");
        Run stdin = vbank("configure", "--api-key-stdin");
        assertThat(stdin.exit()).isZero();
        assertThat(ApiClient.JSON.readTree(file.toFile()).path("profiles").path("default").path("api_key").asText())
                .isEqualTo("vbk_from_stdin");
        env.put("VBANK_API_KEY", "vbk_environment_key");
        assertThat(vbank("configure", "--json").out()).contains("\"api_key_source\":\"environment\"");
    }

    // ---- request building and rendering

    @Test
    void jobsCreateSendsTypedHyperparametersMetadataAndIdempotencyKey() throws Exception {
        api.json("POST /v1/fine_tuning/jobs", 200, "{\"id\":\"ftjob-1\",\"status\":\"validating_files\"}");
        Run r = vbank("jobs", "create", "--model", "all-minilm-l6-v2", "--training-file", "file-1", "--validation-file",
                "file-2", "--epochs", "2", "--batch-size", "8", "-H", "vector_length=128", "-H", "dropout=0.05",
                "-H", "save_only_topk_weights=true", "-H", "target_modules=[\"query\",\"value\"]", "--seed", "7",
                "--metadata", "team=nlp", "--idempotency-key", "k-1", "--eval-suite", "sentiment-en",
                "--eval-baseline", "head_only");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("ftjob-1");
        FakeApi.Request q = api.last("POST", "/v1/fine_tuning/jobs");
        assertThat(q.header("Authorization")).isEqualTo("Bearer vbk_test_key_123");
        assertThat(q.header("Idempotency-Key")).isEqualTo("k-1");
        assertThat(q.header("Content-Type")).isEqualTo("application/json");
        assertThat(ApiClient.JSON.readTree(q.text())).isEqualTo(ApiClient.JSON.readTree("""
                {"model":"all-minilm-l6-v2","training_file":"file-1","validation_file":"file-2",
                 "method":{"type":"vblora","hyperparameters":{"n_epochs":2,"batch_size":8,"vector_length":128,
                   "dropout":0.05,"save_only_topk_weights":true,"target_modules":["query","value"]}},
                 "seed":7,"metadata":{"team":"nlp"},"evaluation":{"suite":"sentiment-en","baselines":["head_only"]}}"""));
    }

    @Test
    void listsPassPagingAndFiltersAndRenderTables() {
        api.json("GET /v1/fine_tuning/jobs", 200, """
                {"object":"list","has_more":false,"data":[{"id":"ftjob-1","status":"succeeded","model":"m",
                 "method":{"type":"vblora"},"trained_steps":30,"created_at":1764340000,"adapter_id":"adapter-9"}]}""");
        Run r = vbank("jobs", "list", "--limit", "5", "--after", "ftjob-0", "--metadata", "team=nlp x");
        assertThat(api.last("GET", "/v1/fine_tuning/jobs").query())
                .isEqualTo("after=ftjob-0&limit=5&metadata%5Bteam%5D=nlp+x");
        assertThat(r.out().lines().toList()).containsExactly(
                "ID       STATUS     MODEL  METHOD  STEPS  CREATED               ADAPTER",
                "ftjob-1  succeeded  m      vblora  30     2025-11-28T14:26:40Z  adapter-9");
        Run j = vbank("jobs", "list", "--json");
        assertThat(j.out()).startsWith("{\"object\":\"list\"");
    }

    @Test
    void uploadStreamsTheFileAndAFileWithErrorsExitsOne() throws Exception {
        Path f = home.resolve("train set.jsonl");
        Files.writeString(f, "{\"text\":\"good\",\"label\":1}\n");
        api.json("POST /v1/files", 201, "{\"id\":\"file-1\",\"filename\":\"train set.jsonl\",\"bytes\":26,\"rows\":1,"
                + "\"labels\":[1],\"status\":\"processed\"}");
        Run ok = vbank("files", "upload", f.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        FakeApi.Request q = api.last("POST", "/v1/files");
        assertThat(q.query()).isEqualTo("filename=train+set.jsonl&purpose=fine-tune");
        assertThat(q.body()).isEqualTo(Files.readAllBytes(f));
        assertThat(q.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(ok.out()).contains("file-1").contains("status processed");

        api.json("POST /v1/files", 201, "{\"id\":\"file-2\",\"status\":\"error\",\"status_details\":\"line 3: no label\"}");
        Run bad = vbank("files", "upload", f.toString(), "--filename", "x.jsonl");
        assertThat(bad.exit()).isEqualTo(Exit.API_ERROR);
        assertThat(bad.err()).contains("file-2 was stored with status error: line 3: no label");
        assertThat(vbank("files", "upload", home.resolve("missing.jsonl").toString()).exit()).isEqualTo(Exit.USAGE);
    }

    @Test
    void downloadKeepsTheFileOnlyWhenTheSha256Matches() throws Exception {
        byte[] bytes = "adapter bytes".getBytes(StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(ApiClient.sha256().digest(bytes));
        api.json("GET /v1/adapters/adapter-1", 200, "{\"id\":\"adapter-1\",\"sha256\":\"" + sha + "\"}");
        AtomicInteger served = new AtomicInteger();
        api.routes.put("GET /v1/adapters/adapter-1/content", (r, ex) -> {
            String header = served.getAndIncrement() == 0 ? sha : "00" + sha.substring(2);
            ex.getResponseHeaders().set("X-Vbank-Sha256", header);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        Path target = home.resolve("dl/a.vbank");
        Run ok = vbank("adapters", "download", "adapter-1", "-o", target.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(bytes);
        assertThat(ok.out()).contains("verified").contains(sha);
        assertThat(api.last("GET", "/v1/adapters/adapter-1/content").query()).isEqualTo("format=compact");

        Path second = home.resolve("dl/b.zip");
        Run bad = vbank("adapters", "export", "adapter-1", "--format", "peft", "-o", second.toString());
        assertThat(bad.exit()).isEqualTo(Exit.INTEGRITY);
        assertThat(bad.err()).contains("sha256 mismatch").contains("download removed");
        assertThat(api.last("GET", "/v1/adapters/adapter-1/content").query()).isEqualTo("format=peft");
        assertThat(Files.list(home.resolve("dl")).map(p -> p.getFileName().toString())).containsExactly("a.vbank");
        Run topk = vbank("adapters", "export", "adapter-1", "--format", "peft", "--save-only-topk-weights", "true", "-o",
                second.toString());
        assertThat(topk.err()).doesNotContain("Unmatched").doesNotContain("Usage");
        assertThat(api.last("GET", "/v1/adapters/adapter-1/content").query())
                .isEqualTo("format=peft&save_only_topk_weights=true");
    }

    @Test
    void importZipsAPeftDirectoryAndNamesTheModel() throws Exception {
        api.json("POST /v1/adapters", 201, "{\"id\":\"adapter-9\",\"object\":\"adapter\",\"source\":\"imported\"}");
        Path dir = home.resolve("peft");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"VBLORA\"}");
        Files.write(dir.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("README.md"), "not sent");
        Run r = vbank("adapters", "import", dir.toString(), "--model", "all-minilm-l6-v2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("adapter-9").contains("imported");
        FakeApi.Request q = api.last("POST", "/v1/adapters");
        assertThat(q.query()).isEqualTo("model=all-minilm-l6-v2");
        assertThat(q.header("Content-Type")).isEqualTo("application/zip");
        java.util.Map<String, byte[]> sent = new java.util.TreeMap<>();
        try (var z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(q.body()))) {
            for (java.util.zip.ZipEntry e; (e = z.getNextEntry()) != null; ) {
                sent.put(e.getName(), z.readAllBytes());
            }
        }
        assertThat(sent).containsOnlyKeys("adapter_config.json", "adapter_model.safetensors");
        assertThat(sent.get("adapter_model.safetensors")).containsExactly(1, 2, 3);

        // a zip goes as it is, without a model
        Path zip = home.resolve("a.zip");
        Files.write(zip, q.body());
        assertThat(vbank("adapters", "import", zip.toString()).exit()).isZero();
        assertThat(api.last("POST", "/v1/adapters").query()).isNull();
        assertThat(api.last("POST", "/v1/adapters").body()).isEqualTo(q.body());

        Files.delete(dir.resolve("adapter_model.safetensors"));
        Run bad = vbank("adapters", "import", dir.toString());
        assertThat(bad.exit()).isEqualTo(Exit.USAGE);
        assertThat(bad.err()).contains("adapter_model.safetensors");
    }

    @Test
    void evaluationRequestsFollowTheContract() throws Exception {
        String eval = """
                {"id":"eval-1","object":"evaluation","status":"queued","suite":{"id":"suite-1","name":"sentiment-en",
                 "version":1},"counts":{"queued":2,"running":0,"succeeded":0,"failed":0,"cancelled":0},
                 "items":[{"id":"evitem-1","adapter_id":"adapter-1","subject":"adapter","status":"queued",
                 "progress":{"tasks_done":0,"tasks_total":3},"error":null}]}""";
        api.json("POST /v1/evaluations", 201, eval);
        Run r = vbank("evals", "create", "--suite", "sentiment-en@1", "--adapter", "adapter-1", "--job", "ftjob-2",
                "--filter", "team=nlp", "--baseline", "head_only", "--metadata", "run=7", "--idempotency-key", "e-1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("eval-1  queued  suite sentiment-en@1  items: 0 succeeded, 0 running, 2 queued");
        FakeApi.Request q = api.last("POST", "/v1/evaluations");
        assertThat(q.header("Idempotency-Key")).isEqualTo("e-1");
        assertThat(ApiClient.JSON.readTree(q.text())).isEqualTo(ApiClient.JSON.readTree("""
                {"suite":"sentiment-en@1","adapters":["adapter-1"],"jobs":["ftjob-2"],
                 "adapter_filter":{"metadata":{"team":"nlp"}},"baselines":["head_only"],"metadata":{"run":"7"}}"""));

        api.json("POST /v1/evaluations/eval-1/cancel", 200, eval.replace("\"queued\",\"suite\"", "\"cancelled\",\"suite\""));
        assertThat(vbank("evals", "cancel", "eval-1").out()).contains("eval-1  cancelled");
        api.json("GET /v1/evaluations", 200, "{\"object\":\"list\",\"has_more\":false,\"data\":[" + eval + "]}");
        assertThat(vbank("evals", "list", "--limit", "3").out()).contains("eval-1  queued  sentiment-en@1  1");
        assertThat(api.last("GET", "/v1/evaluations").query()).isEqualTo("limit=3");

        // --wait polls until the evaluation ends and exits by its status
        AtomicInteger polls = new AtomicInteger();
        api.routes.put("GET /v1/evaluations/eval-1", (rq, ex) -> FakeApi.send(ex, 200, "application/json",
                polls.incrementAndGet() < 2 ? eval : eval.replace("\"queued\",\"suite\"", "\"failed\",\"suite\"")));
        Run waited = vbank("evals", "get", "eval-1", "--wait");
        assertThat(waited.exit()).isEqualTo(Exit.FAILED);
        assertThat(waited.out()).contains("eval-1  queued").contains("eval-1  failed");

        // create --wait on an evaluation answered from stored results: its one summary line, not twice
        String done = eval.replace("\"queued\",\"suite\"", "\"succeeded\",\"suite\"")
                .replace("\"queued\":2,\"running\":0,\"succeeded\":0", "\"queued\":0,\"running\":0,\"succeeded\":2");
        api.json("POST /v1/evaluations", 201, done);
        api.json("GET /v1/evaluations/eval-1", 200, done);
        Run cached = vbank("evals", "create", "--suite", "sentiment-en", "--adapter", "adapter-1", "--wait");
        assertThat(cached.exit()).as(cached.err()).isZero();
        assertThat(cached.out().lines().toList()).containsExactly(
                "eval-1  succeeded  suite sentiment-en@1  items: 2 succeeded, 0 running, 0 queued, 0 failed, 0 cancelled");
    }

    @Test
    void resultsAndReportRenderAndCsvIsAskedOfTheApi() throws Exception {
        api.json("GET /v1/evaluations/eval-1/results", 200, """
                {"object":"list","has_more":false,"data":[{"object":"evaluation.result","adapter_id":"adapter-1",
                 "subject":"adapter","task":"uci-amazon","status":"succeeded","metrics":{"accuracy":0.8125,"f1_macro":0.8},
                 "examples":1000}]}""");
        assertThat(vbank("evals", "results", "eval-1").out().lines().toList()).containsExactly(
                "ADAPTER    SUBJECT  TASK        STATUS     METRICS                          EXAMPLES",
                "adapter-1  adapter  uci-amazon  succeeded  accuracy=0.8125 f1_macro=0.8000  1000");
        api.json("GET /v1/evaluations/eval-1/report", 200, """
                {"object":"evaluation.report","evaluation_id":"eval-1","suite":{"name":"sentiment-en","version":1},
                 "tasks":[{"name":"uci-imdb","metrics":["accuracy"]}],
                 "rows":[{"adapter_id":"adapter-1","subject":"adapter","method":"vblora","stored_bytes":20480,
                          "results":{"uci-imdb":{"status":"succeeded","metrics":{"accuracy":0.75}}}},
                         {"adapter_id":"adapter-1","subject":"baseline_head_only","method":"head_only","stored_bytes":1540,
                          "results":{"uci-imdb":{"status":"skipped","metrics":{}}}}]}""");
        assertThat(vbank("evals", "report", "eval-1").out().lines().toList()).containsExactly(
                "eval-1  suite sentiment-en@1",
                "ADAPTER    SUBJECT             METHOD     STORED_BYTES  uci-imdb.accuracy",
                "adapter-1  adapter             vblora     20480         0.7500",
                "adapter-1  baseline_head_only  head_only  1540          skipped");
        api.routes.put("GET /v1/evaluations/eval-1/report", (r, ex) -> FakeApi.send(ex, 200, "text/csv",
                "adapter_id,subject,uci-imdb.accuracy\nadapter-1,adapter,0.75\n"));
        Run csv = vbank("evals", "report", "eval-1", "--csv");
        assertThat(csv.out()).isEqualTo("adapter_id,subject,uci-imdb.accuracy\nadapter-1,adapter,0.75\n");
        FakeApi.Request q = api.last("GET", "/v1/evaluations/eval-1/report");
        assertThat(q.query()).isEqualTo("format=csv");
        assertThat(q.header("Accept")).isEqualTo("text/csv");
    }

    @Test
    void suitesCreateFromOptionsOrAFileAndListByName() throws Exception {
        api.json("POST /v1/evaluation_suites", 201, "{\"id\":\"suite-2\",\"name\":\"mine\",\"version\":2}");
        Run r = vbank("suites", "create", "--name", "mine", "--description", "held out", "--task",
                "name=yelp,dataset=public:uci-yelp,metrics=accuracy+f1_macro,part=test,test_fraction=0.2,seed=1,limit=100",
                "--task", "name=own,dataset=file-1,type=regression,metrics=pearson");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("suite-2  mine version 2");
        assertThat(ApiClient.JSON.readTree(api.last("POST", "/v1/evaluation_suites").text())).isEqualTo(
                ApiClient.JSON.readTree("""
                        {"name":"mine","description":"held out","tasks":[
                          {"task_type":"classification","name":"yelp","dataset":"public:uci-yelp",
                           "metrics":["accuracy","f1_macro"],"split":{"part":"test","test_fraction":0.2,"seed":1,"limit":100}},
                          {"task_type":"regression","name":"own","dataset":"file-1","metrics":["pearson"]}]}"""));
        Path body = home.resolve("suite.json");
        Files.writeString(body, "{\"name\":\"from-file\",\"tasks\":[{\"name\":\"t\",\"dataset\":\"file-1\"}]}");
        assertThat(vbank("suites", "create", "-f", body.toString(), "--name", "renamed").exit()).isZero();
        assertThat(ApiClient.JSON.readTree(api.last("POST", "/v1/evaluation_suites").text()).path("name").asText())
                .isEqualTo("renamed");
        api.json("GET /v1/evaluation_suites", 200, "{\"object\":\"list\",\"has_more\":false,\"data\":[{\"id\":\"suite-1\","
                + "\"name\":\"sentiment-en\",\"version\":1,\"built_in\":true,\"tasks\":[{\"name\":\"imdb-test\"},"
                + "{\"name\":\"uci-amazon\"}]}]}");
        assertThat(vbank("suites", "list", "--name", "sentiment-en").out())
                .contains("suite-1  sentiment-en  1        true      imdb-test,uci-amazon");
        assertThat(api.last("GET", "/v1/evaluation_suites").query()).isEqualTo("name=sentiment-en");
    }

    // ---- predictions and embeddings

    @Test
    void predictSendsTheTextsToTheAdapterAndPrintsLabelsWithTheirProbability() throws Exception {
        api.json("POST /v1/predictions", 200, """
                {"object": "list", "adapter": "adapter-1", "model": "all-minilm-l6-v2", "data": [
                 {"index": 0, "label": "positive", "probabilities": {"negative": 0.1, "positive": 0.9}},
                 {"index": 1, "label": "negative", "probabilities": {"negative": 0.75, "positive": 0.25}}],
                 "usage": {"inputs": 2, "tokens": 11, "truncated": 0}}""");
        Run r = vbank("predict", "--adapter", "adapter-1", "great phone", "broke in a day");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode sent = ApiClient.JSON.readTree(api.requests.get(0).text());
        assertThat(sent.path("adapter").asText()).isEqualTo("adapter-1");
        assertThat(sent.path("inputs").toString()).isEqualTo("[\"great phone\",\"broke in a day\"]");
        assertThat(r.out()).containsPattern("0 +positive +0\\.9000 +great phone")
                .containsPattern("1 +negative +0\\.7500 +broke in a day")
                .contains("model all-minilm-l6-v2 + adapter-1: 2 inputs, 11 tokens, 0 truncated");

        Run pairs = vbank("predict", "--adapter", "adapter-1", "--pair", "same?", "a", "b");
        assertThat(pairs.exit()).isZero();
        assertThat(ApiClient.JSON.readTree(api.requests.get(1).text()).path("inputs").get(1).path("text_b").asText())
                .isEqualTo("same?");
    }

    @Test
    void predictRelaysTheApisRefusalAndEmbedNeedsAModelOrAnAdapter() {
        api.json("POST /v1/predictions", 404,
                "{\"error\": {\"code\": \"not_found\", \"message\": \"no adapter adapter-x\", \"param\": \"adapter\"}}");
        Run r = vbank("predict", "--adapter", "adapter-x", "hello");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("no adapter adapter-x");
        Run e = vbank("embed", "hello");
        assertThat(e.exit()).isEqualTo(Exit.USAGE);
        assertThat(e.err()).contains("name --model or --adapter");
        assertThat(vbank("predict", "hello").err()).contains("Missing required option: '--adapter");
    }

    @Test
    void embedPrintsDimensionsAndNormPerText() throws Exception {
        api.json("POST /v1/embeddings", 200, """
                {"object": "list", "model": "all-minilm-l6-v2", "data": [
                 {"object": "embedding", "index": 0, "embedding": [0.6, 0.8, 0.0, 0.0]}],
                 "usage": {"prompt_tokens": 3, "total_tokens": 3, "inputs": 1, "truncated": 0}}""");
        Run r = vbank("embed", "--model", "all-minilm-l6-v2", "hello");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(ApiClient.JSON.readTree(api.requests.get(0).text()).path("input").toString())
                .isEqualTo("[\"hello\"]");
        assertThat(r.out()).containsPattern("0 +4 +1\\.0000 +\\[0\\.6000, 0\\.8000, 0\\.0000, …] +hello")
                .contains("3 tokens");
        Run json = vbank("embed", "--adapter", "adapter-1", "hello", "--json");
        assertThat(json.out().strip()).startsWith("{").contains("\"embedding\"");
    }
}
