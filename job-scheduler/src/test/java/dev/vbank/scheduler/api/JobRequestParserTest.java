package dev.vbank.scheduler.api;

import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.jobs.NewJob;
import dev.vbank.service.error.DomainException;
import dev.vbank.service.error.Invalid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobRequestParserTest {

    static final String VALID = """
            {"model": "all-minilm-l6-v2", "training_file": "file-abc", "validation_file": "file-val",
             "method": {"type": "vblora", "hyperparameters": {"num_vectors": 90, "vector_length": 128, "r": 4, "topk": 2,
                        "n_epochs": 3, "lr_logits": 0.01, "layers_to_transform": [0, 5], "target_modules": "query,value"}},
             "suffix": "my-model_1", "seed": 7, "metadata": {"team": "search"}}""";

    @Test
    void parsesAValidRequest() {
        NewJob job = JobRequestParser.parse(VALID);
        assertThat(job.model()).isEqualTo("all-minilm-l6-v2");
        assertThat(job.trainingFile()).isEqualTo("file-abc");
        assertThat(job.validationFile()).isEqualTo("file-val");
        assertThat(job.methodType()).isEqualTo(MethodType.VBLORA);
        assertThat(job.hyperparameters()).containsEntry("num_vectors", 90L).containsEntry("lr_logits", 0.01)
                .containsEntry("layers_to_transform", List.of(0, 5));
        assertThat(job.hyperparameters()).as("unset values are resolved to the spec's defaults")
                .containsEntry("lr_vector_bank", 1e-3).containsEntry("batch_size", 16L)
                .containsEntry("save_only_topk_weights", false).doesNotContainKey("eval_every");
        assertThat(job.suffix()).isEqualTo("my-model_1");
        assertThat(job.seed()).isEqualTo(7L);
        assertThat(job.metadata()).isEqualTo(Map.of("team", "search"));
    }

    @Test
    void vbloraDefaultsFitTheEncodersTheWorkerTrains() {
        // the worker's defaults are h=90, b=128: a job that sets neither must be accepted for every 384-wide encoder
        for (String model : List.of("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2")) {
            NewJob job = JobRequestParser.parse("{\"model\":\"" + model + "\",\"training_file\":\"f\","
                    + "\"method\":{\"type\":\"vblora\",\"hyperparameters\":{\"n_epochs\":1,\"topk\":90,\"checkpoint_every\":5,\"eval_every\":4}}}");
            assertThat(job.methodType()).isEqualTo(MethodType.VBLORA);
            assertThat(job.hyperparameters()).containsEntry("checkpoint_every", 5L).containsEntry("eval_every", 4L);
        }
    }

    @Test
    void aJobsResolvedHyperparametersSentAgainMakeTheSameJob() throws Exception {
        for (String type : List.of("vblora", "lora", "head_only")) {
            String body = "{\"model\":\"e5-small-v2\",\"training_file\":\"f\",\"seed\":3,\"method\":{\"type\":\"" + type
                    + "\",\"hyperparameters\":%s}}";
            NewJob first = JobRequestParser.parse(body.formatted("{\"n_epochs\": 2}"));
            String resolved = Json.mapper().writeValueAsString(first.hyperparameters());
            NewJob again = JobRequestParser.parse(body.formatted(resolved));
            assertThat(again.hyperparameters()).as(type).isEqualTo(first.hyperparameters())
                    .containsEntry("n_epochs", 2L).containsEntry("max_seq_length", 128L);
            assertThat(again.hash()).as("what the job trains with, not how it was written, is the request")
                    .isEqualTo(first.hash());
        }
    }

    @Test
    void theHashIgnoresFormattingButNotContent() {
        String compact = VALID.replace("\n", "").replace("  ", " ");
        assertThat(JobRequestParser.parse(compact).hash()).isEqualTo(JobRequestParser.parse(VALID).hash());
        assertThat(JobRequestParser.parse(VALID.replace("\"seed\": 7", "\"seed\": 8")).hash())
                .isNotEqualTo(JobRequestParser.parse(VALID).hash());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "not json                     | {                                                                          | ",
            "not an object                | []                                                                         | ",
            "unknown field                | {'model':'all-minilm-l6-v2','training_file':'f','method':{'type':'lora'},'epochs':3} | epochs",
            "duplicate field              | {'model':'all-minilm-l6-v2','model':'e5-small-v2','training_file':'f','method':{'type':'lora'}} | ",
            "missing model                | {'training_file':'f','method':{'type':'lora'}}                             | model",
            "model of wrong type          | {'model':3,'training_file':'f','method':{'type':'lora'}}                   | model",
            "unknown model                | {'model':'gpt-4','training_file':'f','method':{'type':'lora'}}             | model",
            "missing training file        | {'model':'e5-small-v2','method':{'type':'lora'}}                           | training_file",
            "bad training file id         | {'model':'e5-small-v2','training_file':'../etc','method':{'type':'lora'}}  | training_file",
            "validation file not a string | {'model':'e5-small-v2','training_file':'f','validation_file':1,'method':{'type':'lora'}} | validation_file",
            "missing method               | {'model':'e5-small-v2','training_file':'f'}                                | method",
            "method not an object         | {'model':'e5-small-v2','training_file':'f','method':'lora'}                | method",
            "unknown method type          | {'model':'e5-small-v2','training_file':'f','method':{'type':'dora'}}       | method.type",
            "unknown method field         | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','rank':2}} | method.rank",
            "hyperparameters not object   | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':[]}} | method.hyperparameters",
            "unknown hyperparameter       | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'topk':2}}} | method.hyperparameters.topk",
            "negative epochs              | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'n_epochs':-1}}} | method.hyperparameters.n_epochs",
            "absurd epochs                | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'n_epochs':100000}}} | method.hyperparameters.n_epochs",
            "fractional batch size        | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'batch_size':2.5}}} | method.hyperparameters.batch_size",
            "string learning rate         | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'lr_lora':'1e-3'}}} | method.hyperparameters.lr_lora",
            "zero learning rate           | {'model':'e5-small-v2','training_file':'f','method':{'type':'vblora','hyperparameters':{'lr_logits':0}}} | method.hyperparameters.lr_logits",
            "dropout of 1                 | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'lora_dropout':1}}} | method.hyperparameters.lora_dropout",
            "topk above num_vectors       | {'model':'e5-small-v2','training_file':'f','method':{'type':'vblora','hyperparameters':{'num_vectors':4,'topk':5}}} | method.hyperparameters.topk",
            "topk above default h         | {'model':'e5-small-v2','training_file':'f','method':{'type':'vblora','hyperparameters':{'topk':91}}} | method.hyperparameters.topk",
            "vector length not dividing   | {'model':'e5-small-v2','training_file':'f','method':{'type':'vblora','hyperparameters':{'vector_length':100}}} | method.hyperparameters.vector_length",
            "vector length 512            | {'model':'bge-small-en-v1.5','training_file':'f','method':{'type':'vblora','hyperparameters':{'vector_length':512}}} | method.hyperparameters.vector_length",
            "layer beyond the model       | {'model':'all-minilm-l6-v2','training_file':'f','method':{'type':'vblora','hyperparameters':{'layers_to_transform':[6]}}} | method.hyperparameters.layers_to_transform",
            "duplicate layer              | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'layers_to_transform':[1,1]}}} | method.hyperparameters.layers_to_transform",
            "unknown target module        | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora','hyperparameters':{'target_modules':'regex:.*'}}} | method.hyperparameters.target_modules",
            "head only with r             | {'model':'e5-small-v2','training_file':'f','method':{'type':'head_only','hyperparameters':{'r':4}}} | method.hyperparameters.r",
            "suffix too long              | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'suffix':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | suffix",
            "suffix with a space          | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'suffix':'a b'} | suffix",
            "negative seed                | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'seed':-1} | seed",
            "seed not an integer          | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'seed':'7'} | seed",
            "metadata not an object       | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'metadata':[1]} | metadata",
            "metadata value not a string  | {'model':'e5-small-v2','training_file':'f','method':{'type':'lora'},'metadata':{'a':1}} | metadata.a",
    })
    void rejectsWithTheOffendingField(String what, String body, String param) {
        assertThatThrownBy(() -> JobRequestParser.parse(body.replace('\'', '"')))
                .isInstanceOfSatisfying(Invalid.class, e -> {
                    assertThat(e.code()).isIn("invalid_request", "invalid_json");
                    assertThat(e.param()).as(what).isEqualTo(param);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }

    @Test
    void metadataLimits() {
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        many.append("}");
        String base = "{\"model\":\"e5-small-v2\",\"training_file\":\"f\",\"method\":{\"type\":\"lora\"},\"metadata\":";
        assertThatThrownBy(() -> JobRequestParser.parse(base + many + "}"))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.param()).isEqualTo("metadata"));
        assertThatThrownBy(() -> JobRequestParser.parse(base + "{\"" + "k".repeat(65) + "\":\"v\"}}"))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.param()).isEqualTo("metadata"));
        assertThatThrownBy(() -> JobRequestParser.parse(base + "{\"k\":\"" + "v".repeat(513) + "\"}}"))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.param()).isEqualTo("metadata.k"));
        assertThat(JobRequestParser.parse(base + "{\"" + "k".repeat(64) + "\":\"" + "v".repeat(512) + "\"}}").metadata())
                .hasSize(1);
    }
}
