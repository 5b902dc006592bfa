package dev.vbank.worker.train;

import dev.vbank.worker.JobFailure;
import dev.vbank.worker.WorkerConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TrainingEngineTest {

    /** The worker's real configuration mapping, with Quarkus' duration syntax ("5s"), as the service reads it. */
    static WorkerConfig config(String device) {
        SmallRyeConfig c = new SmallRyeConfigBuilder().withMapping(WorkerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValue("vbank.worker.device", device)
                .build();
        return c.getConfigMapping(WorkerConfig.class);
    }

    @Test
    void autoTrainsOnTheCpuOfThisBuild() {
        assertThat(TrainingEngine.selectDevice("auto").toString()).isEqualTo("cpu()");
        assertThat(TrainingEngine.selectDevice("cpu").toString()).isEqualTo("cpu()");
    }

    @Test
    void aGpuWorkerOnACpuBuildFailsTheJobWithDeviceUnavailableBeforeTraining() {
        TrainingEngine engine = new TrainingEngine(config("gpu"));
        JobFailure f = catchThrowableOfType(engine::tuner, JobFailure.class);
        assertThat(f.code()).isEqualTo("device_unavailable");
        assertThat(f.getMessage()).contains("vbank.worker.device=gpu").contains("CPU natives only")
                .contains("-Pcuda");
        assertThat(engine.device()).isNull();
        engine.close();
    }

    @Test
    void anUnknownDeviceSettingFailsWithDeviceUnavailable() {
        JobFailure f = catchThrowableOfType(() -> TrainingEngine.selectDevice("tpu"), JobFailure.class);
        assertThat(f.code()).isEqualTo("device_unavailable");
        assertThat(f.getMessage()).contains("auto, cpu or gpu");
    }
}
