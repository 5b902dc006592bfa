package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.vbank.scheduler.eval.EvalFixture.json;
import static dev.vbank.scheduler.eval.EvalFixture.post;
import static org.assertj.core.api.Assertions.assertThat;

/** Every bad evaluation or suite request is a 4xx naming the field, and writes no row anywhere. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class EvaluationBadRequestsTest {

    @Inject
    DataSource dataSource;

    private record Case(String path, String body, int status, String param) {
    }

    @Test
    void badRequestsAre4xxWithTheirFieldAndQueueNothing() throws Exception {
        String tenant = TestSupport.tenant("bad");
        String other = TestSupport.tenant("foreign");
        EvalFixture.Trained mine = EvalFixture.trained(dataSource, tenant, "vblora", Map.of("team", "a"));
        EvalFixture.Trained theirs = EvalFixture.trained(dataSource, other, "vblora", Map.of("team", "a"));
        TestSupport.insertJob(dataSource, tenant, dev.vbank.common.job.JobStatus.RUNNING, 0);
        String runningJob = (String) TestSupport.scalar(dataSource,
                "select id from scheduler.jobs where tenant_id = ? and status = 'running'", tenant);
        ArtifactStub.put(tenant, "file-pending", "uploaded");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            String id = "adapter-many-" + i;
            ArtifactStub.putAdapter(tenant, id, mine.jobId(), "all-minilm-l6-v2", "vblora", "sha-many-" + i);
            many.add("\"" + id + "\"");
        }
        String a = "\"adapters\": [\"" + mine.adapterId() + "\"]";
        String task = "{\"name\": \"t\", \"dataset\": \"public:uci-yelp\", \"task_type\": \"classification\","
                + " \"metrics\": [\"accuracy\"]";

        List<Case> cases = new ArrayList<>();
        String ev = "evaluations";
        cases.add(new Case(ev, "{\"suite\": \"no-such-suite\", " + a + "}", 404, "suite"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en@2\", " + a + "}", 404, "suite"));
        cases.add(new Case(ev, "{\"suite\": \"suite-unknown\", " + a + "}", 404, "suite"));
        cases.add(new Case(ev, "{\"suite\": \"Bad Suite!\", " + a + "}", 400, "suite"));
        cases.add(new Case(ev, "{" + a + "}", 400, "suite"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [\"" + theirs.adapterId() + "\"]}", 404,
                "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [\"" + mine.adapterId() + "\", \""
                + theirs.adapterId() + "\"]}", 404, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"jobs\": [\"" + theirs.jobId() + "\"]}", 404, "jobs"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"jobs\": [\"" + runningJob + "\"]}", 400, "jobs"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\"}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": []}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [], \"jobs\": []}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapter_filter\": {\"metadata\": {\"team\": \"z\"}}}", 400,
                "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapter_filter\": {\"metadata\": {}}}", 400,
                "adapter_filter.metadata"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [" + String.join(",", many)
                + "], \"baselines\": [\"head_only\"]}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [" + String.join(",", many) + ","
                + String.join(",", many.stream().map(s -> s.replace("many", "more")).toList()) + "]}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", " + a + ", \"baselines\": [\"lora\"]}", 400, "baselines[0]"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", " + a + ", \"baselines\": \"head_only\"}", 400, "baselines"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": [\"../x\"]}", 400, "adapters[0]"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", \"adapters\": \"" + mine.adapterId() + "\"}", 400, "adapters"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", " + a + ", \"tenant\": \"x\"}", 400, "tenant"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", " + a + ", \"metadata\": {\"k\": 1}}", 400, "metadata.k"));
        cases.add(new Case(ev, "{\"suite\": \"sentiment-en\", " + a + ", \"suite\": \"x\"}", 400, null));
        cases.add(new Case(ev, "[]", 400, null));
        cases.add(new Case(ev, "{", 400, null));

        String su = "evaluation_suites";
        cases.add(new Case(su, "{\"name\": \"sentiment-en\", \"tasks\": [" + task + "}]}", 400, "name"));
        cases.add(new Case(su, "{\"name\": \"Has Space\", \"tasks\": [" + task + "}]}", 400, "name"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": []}", 400, "tasks"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task + "}, " + task + "}]}", 400, "tasks[1].name"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task + ", \"split\": {\"part\": \"train\"}}]}", 400,
                "tasks[0].split.part"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task + ", \"split\": {\"part\": \"test\"}}]}", 400,
                "tasks[0].split.test_fraction"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task
                + ", \"split\": {\"part\": \"test\", \"test_fraction\": 1.5}}]}", 400, "tasks[0].split.test_fraction"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task
                + ", \"split\": {\"part\": \"all\", \"seed\": 3}}]}", 400, "tasks[0].split.seed"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task + ", \"split\": {\"limit\": 0}}]}", 400,
                "tasks[0].split.limit"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("[\"accuracy\"]", "[\"pearson\"]") + "}]}",
                400, "tasks[0].metrics[0]"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("[\"accuracy\"]", "[]") + "}]}",
                400, "tasks[0].metrics"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("classification", "ranking") + "}]}",
                400, "tasks[0].task_type"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("classification\", \"metrics\": [\"accuracy\"]",
                "regression\", \"metrics\": [\"mse\"]") + "}]}", 400, "tasks[0].task_type"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("public:uci-yelp", "public:imagenet") + "}]}",
                400, "tasks[0].dataset"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("public:uci-yelp", "file-missing") + "}]}",
                404, "tasks[0].dataset"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task.replace("public:uci-yelp", "file-pending") + "}]}",
                400, "tasks[0].dataset"));
        cases.add(new Case(su, "{\"name\": \"s\", \"tasks\": [" + task + ", \"weights\": 1}]}", 400, "tasks[0].weights"));

        List<Long> before = EvalFixture.rowCounts(dataSource);
        List<String> failures = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Case c : cases) {
            Response r = post(tenant, c.path(), c.body());
            JsonNode error = r.statusCode() >= 400 && r.asString().startsWith("{") ? json(r).get("error") : null;
            String param = error == null || error.get("param").isNull() ? null : error.get("param").asText();
            if (r.statusCode() != c.status() || error == null || (c.param() != null && !c.param().equals(param))) {
                failures.add(c.body().substring(0, Math.min(120, c.body().length())) + " -> " + r.statusCode() + " "
                        + r.asString());
            }
            seen.merge(c.path(), 1, Integer::sum);
        }
        assertThat(failures).as("bad requests answered wrongly").isEmpty();
        assertThat(EvalFixture.rowCounts(dataSource)).as("rows of jobs, evaluations, items, results, outbox, suites, events")
                .isEqualTo(before);
        assertThat(seen.get(ev)).isGreaterThanOrEqualTo(20);
    }
}
