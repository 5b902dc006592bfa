package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives well over 100 hostile requests at the gateway: every one must be a 4xx with an ApiError naming a code (and the
 * field where there is one), none a 5xx, no gateway row written, and none may reach the internal services.
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class HostileInputTest {

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    private record Case(String name, String expectedParam, Function<RequestSpecification, Response> call, boolean admin) {
    }

    private final List<Case> cases = new ArrayList<>();

    private void admin(String name, String param, Function<RequestSpecification, Response> call) {
        cases.add(new Case(name, param, call, true));
    }

    private void tenant(String name, String param, Function<RequestSpecification, Response> call) {
        cases.add(new Case(name, param, call, false));
    }

    private static Function<RequestSpecification, Response> post(String path, String json) {
        return s -> s.contentType("application/json").body(json).post(path);
    }

    private static Function<RequestSpecification, Response> postBytes(String path, byte[] body) {
        return s -> s.contentType("application/json").body(body).post(path);
    }

    @Test
    void hostileRequestsAreAll4xxApiErrorsAndWriteNothing() throws Exception {
        Gw.T t = Gw.tenant("hostile");
        String tenantPath = "/admin/tenants/" + t.id();

        // ---- admin: create tenant
        String[] malformed = {"", " ", "{", "}", "[", "{\"name\":", "{\"name\" \"x\"}", "{\"name\":\"x\",}", "{'name':'x'}",
                "{\"name\":\"x\"}}", "null", "[]", "\"name\"", "42", "true", "{\"name\":\"x\"}garbage", "{\"name\":\"\\u12\"}",
                "{\"name\":\"x\" /* c */}", "{\"name\": NaN}", "{\"name\":\"x\",\"name\":\"y\"}"};
        for (String m : malformed) {
            admin("malformed tenant " + m, null, post("/admin/tenants", m));
        }
        admin("deep nesting", null, post("/admin/tenants", "[".repeat(5000) + "]".repeat(5000)));
        Map<String, String> typed = new LinkedHashMap<>();
        typed.put("{\"name\":\"x\",\"admin\":true}", "admin");
        typed.put("{\"name\":\"x\",\"tenant_id\":\"t\"}", "tenant_id");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_gpus\":9}}", "quotas.max_gpus");
        typed.put("{\"name\":123}", "name");
        typed.put("{\"name\":true}", "name");
        typed.put("{\"name\":12.5}", "name");
        typed.put("{\"name\":[\"x\"]}", "name");
        typed.put("{\"name\":{\"first\":\"x\"}}", "name");
        typed.put("{\"name\":\"x\",\"quotas\":[]}", "quotas");
        typed.put("{\"name\":\"x\",\"quotas\":\"big\"}", "quotas");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":\"5\"}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":1.5}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":true}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":-1}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":99999999999999999999}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_queued_jobs\":1e400}}", "quotas.max_queued_jobs");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_stored_bytes\":1e30}}", "quotas.max_stored_bytes");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_stored_bytes\":9223372036854775808}}", "quotas.max_stored_bytes");
        typed.put("{\"name\":\"x\",\"quotas\":{\"requests_per_second\":0}}", "quotas.requests_per_second");
        typed.put("{\"name\":\"x\",\"quotas\":{\"requests_per_second\":-3}}", "quotas.requests_per_second");
        typed.put("{\"name\":\"x\",\"quotas\":{\"requests_per_second\":1e308}}", "quotas.requests_per_second");
        typed.put("{\"name\":\"x\",\"quotas\":{\"requests_per_second\":\"NaN\"}}", "quotas.requests_per_second");
        typed.put("{\"name\":\"x\",\"quotas\":{\"burst\":0}}", "quotas.burst");
        typed.put("{\"name\":\"x\",\"quotas\":{\"max_running_jobs\":2147483648}}", "quotas.max_running_jobs");
        typed.put("{}", "name");
        typed.put("{\"name\":null}", "name");
        typed.put("{\"quotas\":{}}", "name");
        typed.put("{\"name\":\"\"}", "name");
        typed.put("{\"name\":\"   \"}", "name");
        typed.put("{\"name\":\"" + "n".repeat(201) + "\"}", "name");
        typed.put("{\"name\":\"bad\\u0000name\"}", "name");
        typed.put("{\"name\":\"line\\nbreak\"}", "name");
        typed.put("{\"name\":\"x'); drop table gateway.tenants;--\",\"id\":\"1\"}", "id");
        typed.forEach((body, param) -> admin("tenant " + body, param, post("/admin/tenants", body)));
        admin("non-UTF-8 tenant", null, postBytes("/admin/tenants",
                new byte[]{'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'}));
        admin("latin-1 tenant", null, postBytes("/admin/tenants", "{\"name\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1)));
        admin("UTF-16 tenant", null, postBytes("/admin/tenants", "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_16LE)));
        admin("oversize tenant", null, post("/admin/tenants", "{\"name\":\"" + "x".repeat(300_000) + "\"}"));
        admin("xml tenant", null, s -> s.contentType("application/xml").body("<name>x</name>").post("/admin/tenants"));
        // ---- admin: quotas and keys of odd tenant ids
        admin("quotas unknown field", "max_gpus", s -> s.contentType("application/json").body("{\"max_gpus\":1}")
                .put(tenantPath + "/quotas"));
        admin("quotas malformed", null, s -> s.contentType("application/json").body("{\"burst\":").put(tenantPath + "/quotas"));
        admin("quotas negative", "quotas.burst", s -> s.contentType("application/json").body("{\"burst\":-5}")
                .put(tenantPath + "/quotas"));
        admin("quotas string", "max_running_jobs", s -> s.contentType("application/json")
                .body("{\"max_running_jobs\":\"all\"}").put(tenantPath + "/quotas"));
        for (String id : new String[]{"x';drop table gateway.api_keys;--", "a b", "t%00", "..", "%2e%2e", "x".repeat(65),
                "tenant\"", "1 or 1=1", "t*"}) {
            admin("keys for " + id, normalized(id) ? null : "id", s -> s.urlEncodingEnabled(false).post("/admin/tenants/" + enc(id) + "/keys"));
        }
        admin("revoke odd key", "key_id", s -> s.urlEncodingEnabled(false).delete(tenantPath + "/keys/k'%3Bdrop"));

        // ---- jobs
        String job = "{\"model\":\"all-minilm-l6-v2\",\"training_file\":\"file-1\",\"method\":{\"type\":\"vblora\"}";
        for (String m : malformed) {
            tenant("malformed job " + m, null, post("/v1/fine_tuning/jobs", m));
        }
        Map<String, String> jobs = new LinkedHashMap<>();
        jobs.put(job + ",\"tenant\":\"other\"}", "tenant");
        jobs.put(job + ",\"hyperparameters\":{}}", "hyperparameters");
        jobs.put("{\"training_file\":\"file-1\",\"method\":{\"type\":\"vblora\"}}", "model");
        jobs.put("{\"model\":\"all-minilm-l6-v2\",\"method\":{\"type\":\"vblora\"}}", "training_file");
        jobs.put("{\"model\":\"all-minilm-l6-v2\",\"training_file\":\"file-1\"}", "method");
        jobs.put(job.replace("\"all-minilm-l6-v2\"", "42") + "}", "model");
        jobs.put(job.replace("\"file-1\"", "[\"file-1\"]") + "}", "training_file");
        jobs.put(job.replace("\"file-1\"", "\"../../etc/passwd\"") + "}", "training_file");
        jobs.put(job.replace("\"file-1\"", "\"file-1' or '1'='1\"") + "}", "training_file");
        jobs.put(job.replace("\"file-1\"", "\"/abs/file\"") + "}", "training_file");
        jobs.put(job + ",\"validation_file\":\"..\\\\x\"}", "validation_file");
        jobs.put(job.replace("{\"type\":\"vblora\"}", "\"vblora\"") + "}", "method");
        jobs.put(job + ",\"seed\":\"7\"}", "seed");
        jobs.put(job + ",\"seed\":1.5}", "seed");
        jobs.put(job + ",\"seed\":99999999999999999999999}", "seed");
        jobs.put(job + ",\"seed\":1e400}", "seed");
        jobs.put(job + ",\"metadata\":[\"a\"]}", "metadata");
        jobs.put(job + ",\"suffix\":" + "\"" + "s".repeat(300) + "\"}", "suffix");
        jobs.put(job + ",\"model\":\"again\"}", null);
        jobs.forEach((body, param) -> tenant("job " + body, param, post("/v1/fine_tuning/jobs", body)));
        tenant("non-UTF-8 job", null, postBytes("/v1/fine_tuning/jobs",
                (job + ",\"suffix\":\"\u00ff\"}").getBytes(StandardCharsets.ISO_8859_1)));
        tenant("oversize job", null, post("/v1/fine_tuning/jobs", job + ",\"suffix\":\"" + "x".repeat(300_000) + "\"}"));
        tenant("idempotency key too long", "Idempotency-Key", s -> s.header("Idempotency-Key", "k".repeat(256))
                .contentType("application/json").body(job + "}").post("/v1/fine_tuning/jobs"));
        tenant("idempotency key with spaces", "Idempotency-Key", s -> s.header("Idempotency-Key", "a b")
                .contentType("application/json").body(job + "}").post("/v1/fine_tuning/jobs"));

        // ---- evaluations and suites: what the gateway can tell from the body alone (the scheduler resolves suites,
        // adapters and jobs: its EvaluationBadRequestsTest covers unknown suites, foreign adapters, splits and metrics)
        for (String m : malformed) {
            tenant("malformed evaluation " + m, null, post("/v1/evaluations", m));
        }
        String manyIds = String.join(",", java.util.Collections.nCopies(101, "\"adapter-x\""));
        String fiftyOne = String.join(",", java.util.Collections.nCopies(51, "\"adapter-x\""));
        Map<String, String> evaluations = new LinkedHashMap<>();
        evaluations.put("{\"adapters\":[\"adapter-1\"]}", "suite");
        evaluations.put("{\"suite\":42,\"adapters\":[\"adapter-1\"]}", "suite");
        evaluations.put("{\"suite\":\"\",\"adapters\":[\"adapter-1\"]}", "suite");
        evaluations.put("{\"suite\":\"sentiment-en\"}", "adapters");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[],\"jobs\":[]}", "adapters");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[" + manyIds + "]}", "adapters");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[" + fiftyOne + "],\"baselines\":[\"head_only\"]}",
                "adapters");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":\"adapter-1\"}", "adapters");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[\"../etc\"]}", "adapters[0]");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[7]}", "adapters[0]");
        evaluations.put("{\"suite\":\"sentiment-en\",\"jobs\":[\"a'b\"]}", "jobs[0]");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[\"adapter-1\"],\"baselines\":[\"lora\"]}",
                "baselines[0]");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[\"adapter-1\"],\"baselines\":\"head_only\"}",
                "baselines");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapter_filter\":\"team\"}", "adapter_filter");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[\"adapter-1\"],\"tenant\":\"other\"}", "tenant");
        evaluations.put("{\"suite\":\"sentiment-en\",\"adapters\":[\"adapter-1\"],\"metadata\":[1]}", "metadata");
        evaluations.forEach((body, param) -> tenant("evaluation " + body.substring(0, Math.min(80, body.length())), param,
                post("/v1/evaluations", body)));
        tenant("evaluation idempotency key", "Idempotency-Key", s -> s.header("Idempotency-Key", "k".repeat(256))
                .contentType("application/json").body("{\"suite\":\"sentiment-en\",\"adapters\":[\"adapter-1\"]}")
                .post("/v1/evaluations"));
        tenant("job evaluation not an object", "evaluation", post("/v1/fine_tuning/jobs",
                job + ",\"evaluation\":\"sentiment-en\"}"));
        tenant("suite unknown field", "weights", post("/v1/evaluation_suites", "{\"name\":\"s\",\"weights\":1}"));
        tenant("suite without tasks", "tasks", post("/v1/evaluation_suites", "{\"name\":\"s\"}"));
        tenant("suite empty tasks", "tasks", post("/v1/evaluation_suites", "{\"name\":\"s\",\"tasks\":[]}"));
        tenant("suite numeric name", "name", post("/v1/evaluation_suites", "{\"name\":5,\"tasks\":[{}]}"));
        tenant("suites bad limit", "limit", s -> s.queryParam("limit", "0").get("/v1/evaluation_suites"));
        tenant("evaluations bad after", "after", s -> s.queryParam("after", "../x").get("/v1/evaluations"));
        tenant("evaluation odd id", "id", s -> s.urlEncodingEnabled(false).get("/v1/evaluations/a'b"));
        tenant("evaluation cancel odd id", "id", s -> s.urlEncodingEnabled(false).post("/v1/evaluations/a*b/cancel"));
        tenant("report format", "format", s -> s.queryParam("format", "xml").get("/v1/evaluations/eval-1/report"));
        tenant("report unknown param", "pretty", s -> s.queryParam("pretty", "1").get("/v1/evaluations/eval-1/report"));
        tenant("adapter results odd id", "id", s -> s.urlEncodingEnabled(false).get("/v1/adapters/a$b/evaluation_results"));

        // ---- list and page parameters
        for (String limit : new String[]{"0", "-1", "101", "abc", "1e3", "99999999999999999999", "", "1.5", "0x10",
                "1;drop"}) {
            tenant("jobs limit " + limit, "limit", s -> s.queryParam("limit", limit).get("/v1/fine_tuning/jobs"));
        }
        tenant("files limit huge", "limit", s -> s.queryParam("limit", "1000000").get("/v1/files"));
        for (String after : new String[]{"../x", "' or 1=1--", "a/b", "", "x".repeat(200), "..", "a;b"}) {
            tenant("jobs after " + after, "after", s -> s.queryParam("after", after).get("/v1/fine_tuning/jobs"));
        }
        tenant("unknown list param", "tenant_id", s -> s.queryParam("tenant_id", "x").get("/v1/fine_tuning/jobs"));
        tenant("duplicate limit", "limit", s -> s.queryParam("limit", "1", "2").get("/v1/fine_tuning/jobs"));
        tenant("metadata on files", "metadata[a]", s -> s.queryParam("metadata[a]", "b").get("/v1/files"));
        tenant("events bad limit", "limit", s -> s.queryParam("limit", "-5").get("/v1/fine_tuning/jobs/ftjob-1/events"));

        // ---- path-like and SQL-like ids
        for (String id : new String[]{"..", "%2e%2e", "..%2F..%2Fadmin", "x'%20or%20'1'='1", "a;drop", "%00",
                "x".repeat(200), "a%20b", "%2Fetc%2Fpasswd", "id%0d%0aX-Injected:%201"}) {
            tenant("job id " + id, id.contains(";") ? "path" : normalized(id) ? null : "id", s -> s.urlEncodingEnabled(false).get("/v1/fine_tuning/jobs/" + id));
            tenant("file id " + id, id.contains(";") ? "path" : normalized(id) ? null : "id", s -> s.urlEncodingEnabled(false).get("/v1/files/" + id));
        }
        tenant("cancel odd id", "id", s -> s.urlEncodingEnabled(false).post("/v1/fine_tuning/jobs/a'b/cancel"));
        tenant("checkpoints odd id", "id", s -> s.urlEncodingEnabled(false).get("/v1/fine_tuning/jobs/a%22b/checkpoints"));
        tenant("delete odd file", "id", s -> s.urlEncodingEnabled(false).delete("/v1/files/a*b"));
        tenant("adapter odd id", "id", s -> s.urlEncodingEnabled(false).get("/v1/adapters/a$b"));
        tenant("adapter format traversal", "format", s -> s.queryParam("format", "../../etc/passwd")
                .get("/v1/adapters/adapter-1/content"));
        tenant("adapter format sql", "format", s -> s.queryParam("format", "peft' or 1=1")
                .get("/v1/adapters/adapter-1/content"));

        // ---- uploads
        for (String name : new String[]{"../../etc/passwd.jsonl", "/abs.jsonl", "a/b.jsonl", "a\\b.jsonl", ".jsonl",
                "..jsonl", "train.exe", "train", "x".repeat(260) + ".csv", "bad\u0000.csv", "tab\t.csv", "new\nline.csv",
                "train.jsonl'; drop table x;--/"}) {
            tenant("raw filename " + name, "filename", s -> s.queryParam("filename", name)
                    .contentType("application/octet-stream").body("{}\n".getBytes()).post("/v1/files"));
        }
        tenant("raw without filename", "filename", s -> s.contentType("application/octet-stream").body("{}\n".getBytes())
                .post("/v1/files"));
        tenant("multipart path filename", "filename", s -> s.multiPart("file", "../../x.jsonl", "{}\n".getBytes())
                .post("/v1/files"));
        tenant("multipart no file", "file", s -> s.multiPart("purpose", "fine-tune").post("/v1/files"));
        tenant("bad purpose", "purpose", s -> s.queryParam("filename", "a.jsonl").queryParam("purpose", "assistants")
                .contentType("application/octet-stream").body("{}\n".getBytes()).post("/v1/files"));
        tenant("raw oversize", "file", s -> s.queryParam("filename", "big.jsonl").contentType("application/octet-stream")
                .body(new byte[1_048_577]).post("/v1/files"));
        tenant("multipart oversize", "file", s -> s.multiPart("file", "big.jsonl", new byte[1_300_000])
                .post("/v1/files"));
        tenant("unknown endpoint", null, s -> s.get("/v1/secrets"));
        tenant("wrong method", null, s -> s.put("/v1/models"));

        assertThat(cases.size()).isGreaterThanOrEqualTo(100);
        long[] before = counts();
        Gw.clearStub(stub);
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            RequestSpecification s = given().header("Authorization", "Bearer " + (c.admin() ? Gw.ADMIN : t.key()));
            Response r = c.call().apply(s);
            String body = r.asString();
            String problem = null;
            if (r.statusCode() < 400 || r.statusCode() >= 500) {
                problem = "status " + r.statusCode();
            } else {
                try {
                    JsonNode error = Gw.JSON.readTree(body).get("error");
                    if (error == null || !error.hasNonNull("code") || error.get("code").asText().isEmpty()) {
                        problem = "no error.code";
                    } else if (c.expectedParam() != null && !c.expectedParam().equals(error.path("param").asText(null))) {
                        problem = "param " + error.path("param").asText(null) + ", expected " + c.expectedParam();
                    }
                } catch (Exception e) {
                    problem = "not JSON";
                }
            }
            if (problem != null) {
                failures.add(c.name().substring(0, Math.min(90, c.name().length())) + " -> " + problem + ": "
                        + r.statusCode() + " " + body.substring(0, Math.min(200, body.length())));
            }
        }
        assertThat(failures).as("hostile requests answered wrongly").isEmpty();
        assertThat(counts()).as("rows of gateway.tenants and gateway.api_keys").containsExactly(before);
        assertThat(Gw.stubRequests(stub)).as("requests that reached the internal services").isEmpty();
        Gw.as(t).get("/v1/fine_tuning/jobs").then().statusCode(200);
    }

    private long[] counts() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select (select count(*) from gateway.tenants),"
                     + " (select count(*) from gateway.api_keys), (select count(*) from gateway.service_info)")) {
            rs.next();
            return new long[]{rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    /** Ids that the HTTP layer may resolve as path segments (then the route is unknown: 404 without a param). */
    private static boolean normalized(String id) {
        return id.equals("..") || id.contains("%2e") || id.contains("%2F");
    }

    private static String enc(String s) {
        return s.replace(" ", "%20").replace("\"", "%22").replace("'", "%27").replace(";", "%3B").replace("*", "%2A");
    }
}
