package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressViewTest {

    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final StringWriter text = new StringWriter();

    ProgressView view(ProgressView.Mode mode, int width) {
        return new ProgressView(new PrintWriter(text, true), mode, width, clock::get);
    }

    static JsonNode event(String json) throws Exception {
        return ApiClient.JSON.readTree(json);
    }

    static JsonNode state(String status, String message) throws Exception {
        return event("{\"id\":\"s-" + status + "\",\"type\":\"state\",\"level\":\"info\",\"message\":\"" + message
                + "\",\"data\":{\"status\":\"" + status + "\"}}");
    }

    static JsonNode step(int step, int total, double loss, Double eta) throws Exception {
        return event("{\"id\":\"p" + step + "\",\"type\":\"metrics\",\"level\":\"info\",\"message\":\"Step\",\"data\":"
                + "{\"step\":" + step + ",\"total_steps\":" + total + ",\"train_loss\":" + loss
                + (eta != null ? ",\"eta_seconds\":" + eta : "") + "}}");
    }

    @Test
    void barCells() {
        assertThat(ProgressView.bar(0, 10, 10)).isEqualTo("[..........]");
        assertThat(ProgressView.bar(3, 10, 10)).isEqualTo("[###>......]");
        assertThat(ProgressView.bar(10, 10, 10)).isEqualTo("[##########]");
        assertThat(ProgressView.bar(5, 0, 4)).isEqualTo("[....]");
        assertThat(ProgressView.bar(15, 10, 4)).isEqualTo("[####]");
    }

    @Test
    void durations() {
        assertThat(ProgressView.duration(0.4)).isEqualTo("0s");
        assertThat(ProgressView.duration(42)).isEqualTo("42s");
        assertThat(ProgressView.duration(185)).isEqualTo("3m05s");
        assertThat(ProgressView.duration(3723)).isEqualTo("1h02m03s");
    }

    @Test
    void barRedrawsInPlaceWithStepLossAndEtaAndPrintsMessagesAbove() throws Exception {
        ProgressView v = view(ProgressView.Mode.BAR, 120);
        v.event(state("running", "Job started"));
        v.event(step(3, 12, 0.69314, 90.0));
        clock.addAndGet(30_000_000_000L); // 30 s later the countdown shows 60 s left
        v.tick();
        v.event(state("cancelling", "Cancel requested"));
        v.event(step(12, 12, 0.5, 0.0));
        v.finish();
        String out = text.toString();
        assertThat(out).startsWith("[running] Job started\n");
        String[] frames = out.substring("[running] Job started\n".length()).split("\r", -1);
        assertThat(frames[1]).startsWith("running    [######>.................] step 3/12  25%  loss 0.6931  eta 1m30s");
        assertThat(frames[2]).contains("step 3/12").contains("eta 1m00s");
        // a message clears the bar's line, then the bar comes back under it
        assertThat(frames[3]).startsWith("[cancelling] Cancel requested").endsWith("\n");
        assertThat(frames[3].length()).isGreaterThanOrEqualTo(frames[2].length());
        assertThat(frames[frames.length - 1]).contains("[########################] step 12/12 100%  loss 0.5000  eta 0s")
                .endsWith("\n");
        assertThat(v.frames()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void etaFromTheStepRateWhenTheWorkerSendsNone() throws Exception {
        ProgressView v = view(ProgressView.Mode.PLAIN, 120);
        v.event(step(2, 10, 0.7, null));
        clock.addAndGet(4_000_000_000L);
        v.event(step(4, 10, 0.6, null)); // 2 s per step, 6 steps left
        assertThat(text.toString().lines().toList()).containsExactly(
                "running    step 2/10  20%  loss 0.7000",
                "running    step 4/10  40%  loss 0.6000  eta 12s");
    }

    @Test
    void plainModePrintsALinePerUpdateWithValidationMetricAndWarnings() throws Exception {
        ProgressView v = view(ProgressView.Mode.PLAIN, 120);
        v.event(state("queued", "Job is queued"));
        v.event(step(1, 2, 0.7, 5.0));
        v.event(event("{\"type\":\"metrics\",\"message\":\"Step 1: validation accuracy=0.8000\",\"data\":{\"step\":1,"
                + "\"valid_loss\":0.4,\"valid_accuracy\":0.8}}"));
        v.event(event("{\"type\":\"message\",\"level\":\"warn\",\"message\":\"Checkpoint failed\",\"data\":{}}"));
        v.event(step(2, 2, 0.6, 0.0));
        v.finish();
        assertThat(text.toString()).doesNotContain("\r");
        assertThat(text.toString().lines().toList()).containsExactly(
                "[queued] Job is queued",
                "running    step 1/2  50%  loss 0.7000  eta 5s",
                "Step 1: validation accuracy=0.8000",
                "warn: Checkpoint failed",
                "running    step 2/2 100%  loss 0.6000  val accuracy 0.8000  eta 0s");
    }

    @Test
    void lineNeverReachesTheTerminalWidthAndJsonModeEchoesEvents() throws Exception {
        ProgressView v = view(ProgressView.Mode.BAR, 40);
        v.event(step(5, 1000, 1.23456, 3600.0));
        for (String frame : text.toString().split("\r")) {
            assertThat(frame.length()).isLessThan(40);
        }
        StringWriter json = new StringWriter();
        ProgressView j = new ProgressView(new PrintWriter(json, true), ProgressView.Mode.JSON, 80, clock::get);
        j.event(step(1, 2, 0.5, null));
        assertThat(ApiClient.JSON.readTree(json.toString()).path("data").path("step").asInt()).isEqualTo(1);
        StringWriter none = new StringWriter();
        ProgressView n = new ProgressView(new PrintWriter(none, true), ProgressView.Mode.NONE, 80, clock::get);
        n.event(state("running", "x"));
        n.event(step(1, 2, 0.5, null));
        n.finish();
        assertThat(none.toString()).isEmpty();
    }
}
