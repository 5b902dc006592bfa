package dev.vbank.worker;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.command.WorkerEvent.Kind;
import dev.vbank.common.job.Method;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.kafka.Topics;
import dev.vbank.testkit.VbankInfraResource;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
import dev.vbank.worker.support.ArtifactStub;
import dev.vbank.worker.support.KafkaTestClient;
import dev.vbank.worker.support.KafkaTestClient.Received;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static dev.vbank.worker.WorkerEndToEndTest.MODEL;
import static dev.vbank.worker.WorkerEndToEndTest.TRAINING;
import static dev.vbank.worker.WorkerEndToEndTest.kind;
import static dev.vbank.worker.WorkerEndToEndTest.newJobId;
import static dev.vbank.worker.WorkerEndToEndTest.smallVblora;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job against a published bank on the real MiniLM encoder and UCI sentences: the bank is downloaded and loaded frozen,
 * only logits and head train, and the uploaded adapter references the bank (id + sha256) instead of holding it.
 */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = {
        @ResourceArg(name = "needs", value = "postgres,kafka"),
        @ResourceArg(name = "topics", value = "vbank.jobs.dispatch,vbank.jobs.events,vbank.jobs.control")})
@WithTestResource(ArtifactStub.class)
class SharedBankWorkerTest {

    static KafkaTestClient kafka;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @AfterAll
    static void close() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    private DispatchJob dispatch(String tenant, String file, Map<String, Object> hp) {
        String id = newJobId();
        DispatchJob job = new DispatchJob(id, tenant, 1, UUID.randomUUID().toString(), 60, MODEL, file, null,
                new Method(MethodType.VBLORA, hp), 7, null);
        kafka.send(Topics.JOB_DISPATCH, id, job);
        return job;
    }

    @Test
    void trainsFrozenAgainstThePublishedBankAndUploadsABankReferencingAdapter() throws Exception {
        if (kafka == null) {
            kafka = new KafkaTestClient(bootstrap);
        }
        String tenant = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
        String file;
        try (InputStream in = getClass().getResourceAsStream("/uci-amazon-40.jsonl")) {
            file = ArtifactStub.putFile(tenant, "amazon.jsonl", in.readAllBytes());
        }
        Random rnd = new Random(3);
        float[] values = new float[32 * 128];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.02);
        }
        Tensor bank = new Tensor(new long[] {32, 128}, values);
        byte[] bankFile = VectorBankFile.write(bank);
        ArtifactStub.putVectorBank(tenant, "vbank-w1", bankFile);

        Map<String, Object> hp = smallVblora(1);
        hp.put("vector_bank", "vbank-w1");
        hp.put("bank_mode", "frozen");
        DispatchJob job = dispatch(tenant, file, hp);
        List<Received> events = kafka.await(job.jobId(), WorkerEndToEndTest::ended, TRAINING);
        assertThat(kind(events, Kind.FAILED)).as("failure events").isEmpty();
        for (WorkerEvent p : kind(events, Kind.PROGRESS)) {
            Object lrs = p.event().data().get("learning_rates");
            if (lrs != null) {
                assertThat(((Map<?, ?>) lrs).keySet().stream().map(Object::toString).toList()).as("the bank is not trained").containsOnly("logits", "head");
            }
        }
        WorkerEvent done = events.get(events.size() - 1).event();
        assertThat(done.kind()).isEqualTo(Kind.SUCCEEDED);
        byte[] stored = ArtifactStub.adapterOf(tenant, job.jobId()).bytes();
        BankRef ref = new BankRef("vbank-w1", VectorBankFile.sha256(bankFile));
        assertThat(CompactFormat.bankRef(stored)).isEqualTo(ref);
        assertThat(stored.length).as("a kilobyte-sized adapter").isLessThanOrEqualTo(4096);
        AdapterWeights a = CompactFormat.read(stored, r -> bankFile);
        assertThat(a.vectorBank()).isEqualTo(bank);
        assertThat(a.bankRef()).isEqualTo(ref);
        assertThat(a.vbloraConfig().numVectors()).isEqualTo(32);
        System.out.printf("worker's bank-referencing adapter: %d bytes%n", stored.length);

        // a bank the artifact-service does not know fails the job naming the field
        Map<String, Object> missing = smallVblora(1);
        missing.put("vector_bank", "vbank-missing");
        DispatchJob bad = dispatch(tenant, file, missing);
        List<Received> failed = kafka.await(bad.jobId(), WorkerEndToEndTest::ended, TRAINING);
        WorkerEvent f = failed.get(failed.size() - 1).event();
        assertThat(f.kind()).isEqualTo(Kind.FAILED);
        assertThat(f.event().data()).containsEntry("error_code", "invalid_vector_bank")
                .containsEntry("error_param", "method.hyperparameters.vector_bank");
    }
}
