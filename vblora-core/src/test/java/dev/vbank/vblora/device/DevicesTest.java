package dev.vbank.vblora.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DevicesTest {

    @Test
    void autoIsTheCpuOnThisCpuBuildAndArraysLandThere() {
        Device d = Devices.select("auto");
        assertThat(Engine.getEngine("PyTorch").hasCapability("CUDA")).isFalse();
        assertThat(d).isEqualTo(Device.cpu());
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(d);
             NDManager sub = m.newSubManager();
             NDArray a = sub.ones(new ai.djl.ndarray.types.Shape(2))) {
            assertThat(a.getDevice()).isEqualTo(Device.cpu());
        }
    }

    @Test
    void gpuOnACpuBuildFailsWithAMessageThatSaysWhy() {
        assertThatThrownBy(() -> Devices.select("gpu"))
                .isInstanceOf(DeviceUnavailableException.class)
                .hasMessageContaining("CPU natives only")
                .hasMessageContaining("-Pcuda");
    }

    @Test
    void choicesFollowWhatTheEngineReports() {
        assertThat(Devices.select(Devices.Choice.AUTO, 2, true)).isEqualTo(Device.gpu());
        assertThat(Devices.select(Devices.Choice.AUTO, 0, true)).isEqualTo(Device.cpu());
        assertThat(Devices.select(Devices.Choice.CPU, 2, true)).isEqualTo(Device.cpu());
        assertThat(Devices.select(Devices.Choice.GPU, 1, true)).isEqualTo(Device.gpu());
        assertThatThrownBy(() -> Devices.select(Devices.Choice.GPU, 0, true))
                .isInstanceOf(DeviceUnavailableException.class).hasMessageContaining("sees no GPU");
    }

    @Test
    void settingsParseInAnyCaseAndUnknownOnesAreRejected() {
        assertThat(Devices.Choice.parse(" CUDA ")).isEqualTo(Devices.Choice.GPU);
        assertThat(Devices.Choice.parse("Cpu")).isEqualTo(Devices.Choice.CPU);
        assertThatThrownBy(() -> Devices.Choice.parse("tpu"))
                .isInstanceOf(DeviceUnavailableException.class).hasMessageContaining("'tpu'");
        assertThatThrownBy(() -> Devices.Choice.parse(null)).isInstanceOf(DeviceUnavailableException.class);
    }
}
