package dev.vbank.common.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.FineTuningJob;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {

    @Test
    void jobSerialisesInSnakeCaseWithWireNamesAndRoundTrips() throws Exception {
        FineTuningJob job = new FineTuningJob("ftjob-1", FineTuningJob.OBJECT, 1700000000L, null, null, JobStatus.VALIDATING_FILES,
                "all-minilm-l6-v2", "file-a", null, new Method(MethodType.VBLORA, Map.of("topk", 2)), "s", 42L,
                Map.of("team", "x"), null, null, 0L, null);
        String text = Json.mapper().writeValueAsString(job);
        JsonNode tree = Json.mapper().readTree(text);
        assertThat(tree.get("status").asText()).isEqualTo("validating_files");
        assertThat(tree.get("training_file").asText()).isEqualTo("file-a");
        assertThat(tree.get("method").get("type").asText()).isEqualTo("vblora");
        assertThat(tree.has("validation_file")).isTrue();
        assertThat(Json.mapper().readValue(text, FineTuningJob.class)).isEqualTo(job);
        assertThat(tree.has("evaluation_id")).as("evaluation_id is always present, null until an evaluation exists").isTrue();
        assertThat(tree.get("evaluation_id").isNull()).isTrue();
    }

    @Test
    void jobJsonWithoutEvaluationIdStillReadsAndOneWithItRoundTrips() throws Exception {
        FineTuningJob job = new FineTuningJob("ftjob-2", FineTuningJob.OBJECT, 1L, 2L, 3L, JobStatus.SUCCEEDED,
                "all-minilm-l6-v2", "file-a", null, new Method(MethodType.LORA, Map.of()), null, 1L, Map.of(), null,
                "adapter-1", 10L, null, "eval-1");
        com.fasterxml.jackson.databind.node.ObjectNode tree = Json.mapper().valueToTree(job);
        assertThat(tree.get("evaluation_id").asText()).isEqualTo("eval-1");
        assertThat(Json.mapper().treeToValue(tree, FineTuningJob.class)).isEqualTo(job);
        tree.remove("evaluation_id");
        assertThat(Json.mapper().treeToValue(tree, FineTuningJob.class).evaluationId()).isNull();
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"type\":\"lora\",\"hyperparameters\":{},\"bogus\":1}", Method.class))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("bogus");
    }

    @Test
    void eventWireFormat() throws Exception {
        JobEvent e = new JobEvent("ev-1", JobEvent.OBJECT, 1L, EventLevel.INFO, EventType.METRICS, "step 3", Map.of("loss", 0.5));
        JsonNode tree = Json.mapper().readTree(Json.mapper().writeValueAsString(e));
        assertThat(tree.get("level").asText()).isEqualTo("info");
        assertThat(tree.get("type").asText()).isEqualTo("metrics");
        assertThat(tree.get("created_at").asLong()).isEqualTo(1L);
        assertThat(tree.get("data").get("loss").asDouble()).isEqualTo(0.5);
    }
}
