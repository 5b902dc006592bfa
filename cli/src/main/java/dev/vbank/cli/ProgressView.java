package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What {@code vbank jobs watch} shows for a job's events. {@code BAR}: one line redrawn in place with a carriage return
 * (status, bar, step/total, percent, loss, last validation metric, ETA), other events printed on their own line above it;
 * {@code PLAIN}: one line per event, for logs and pipes; {@code NONE}: nothing until the end; {@code JSON}: each event as
 * one JSON line.
 */
public final class ProgressView {

    public enum Mode { BAR, PLAIN, NONE, JSON }

    static final int BAR_CELLS = 24;

    private final PrintWriter out;
    private final Mode mode;
    private final int width;
    private final LongSupplier nanoClock;

    private String status = "";
    private long step;
    private long total;
    private double loss = Double.NaN;
    private String validationName;
    private double validationValue = Double.NaN;
    /** ETA the worker reported, and when we received it; else our own estimate from the step rate. */
    private double reportedEta = Double.NaN;
    private long reportedEtaAt;
    private long firstStep = -1;
    private long firstStepAt;
    private long lastStepAt;
    private int drawnLength;
    private boolean barShown;
    private int frames;

    public ProgressView(PrintWriter out, Mode mode, int width, LongSupplier nanoClock) {
        this.out = out;
        this.mode = mode;
        this.width = Math.max(40, width);
        this.nanoClock = nanoClock;
    }

    public synchronized void event(JsonNode event) {
        if (mode == Mode.JSON) {
            out.println(event.toString());
            out.flush();
            return;
        }
        String type = event.path("type").asText();
        JsonNode data = event.path("data");
        String message = event.path("message").asText("");
        String level = event.path("level").asText("info");
        if (type.equals("state") && data.hasNonNull("status")) {
            status = data.get("status").asText();
            say("[" + status + "] " + message);
            if (data.has("trained_steps")) {
                step = Math.max(step, data.get("trained_steps").asLong());
            }
        } else if (type.equals("metrics") && data.has("train_loss") && data.has("step")) {
            progress(data);
        } else if (type.equals("metrics") && data.has("step") && firstValidation(data) != null) {
            String name = firstValidation(data);
            validationName = name.substring("valid_".length());
            validationValue = data.get(name).asDouble();
            say(message);
        } else if (!message.isEmpty()) {
            say(level.equals("info") ? message : level + ": " + message);
        }
    }

    private void progress(JsonNode data) {
        long now = nanoClock.getAsLong();
        step = data.get("step").asLong();
        total = data.path("total_steps").asLong(total);
        loss = data.path("train_loss").asDouble(Double.NaN);
        if (data.has("eta_seconds")) {
            reportedEta = data.get("eta_seconds").asDouble();
            reportedEtaAt = now;
        } else {
            reportedEta = Double.NaN;
        }
        if (firstStep < 0) {
            firstStep = step;
            firstStepAt = now;
        }
        lastStepAt = now;
        if (status.isEmpty() || status.equals("queued") || status.equals("validating_files")) {
            status = "running";
        }
        if (mode == Mode.PLAIN) {
            out.println(line());
            out.flush();
            frames++;
        } else if (mode == Mode.BAR) {
            draw();
        }
    }

    /** Redraws the bar (for the ETA countdown between progress events); nothing before the first progress event. */
    public synchronized void tick() {
        if (mode == Mode.BAR && barShown) {
            draw();
        }
    }

    /** Ends the bar's line so that what follows starts on a fresh one. */
    public synchronized void finish() {
        if (mode == Mode.BAR && barShown) {
            draw();
            out.println();
            out.flush();
            barShown = false;
            drawnLength = 0;
        }
    }

    /** A line that is not the bar: above the bar in BAR mode, as is in PLAIN mode. */
    public synchronized void say(String text) {
        if (text == null || text.isBlank() || mode == Mode.NONE || mode == Mode.JSON) {
            return;
        }
        if (mode == Mode.BAR && barShown) {
            out.print("\r" + pad(text, drawnLength) + "\n");
            drawnLength = 0;
            draw();
        } else {
            out.println(text);
            out.flush();
        }
    }

    public synchronized int frames() {
        return frames;
    }

    private void draw() {
        String line = line();
        out.print("\r" + pad(line, drawnLength));
        out.flush();
        drawnLength = line.length();
        barShown = true;
        frames++;
    }

    /** The progress line, at most {@code width - 1} characters (a full-width line would wrap in some terminals). */
    String line() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-10s", status.isEmpty() ? "waiting" : status));
        if (mode == Mode.BAR) {
            b.append(' ').append(bar(step, total, BAR_CELLS));
        }
        b.append(' ').append("step ").append(step).append('/').append(total > 0 ? Long.toString(total) : "?");
        if (total > 0) {
            b.append(String.format(Locale.ROOT, " %3d%%", Math.min(100, step * 100 / total)));
        }
        if (!Double.isNaN(loss)) {
            b.append(String.format(Locale.ROOT, "  loss %.4f", loss));
        }
        if (validationName != null && !Double.isNaN(validationValue)) {
            b.append(String.format(Locale.ROOT, "  val %s %.4f", validationName, validationValue));
        }
        double eta = eta();
        if (!Double.isNaN(eta)) {
            b.append("  eta ").append(duration(eta));
        }
        String s = b.toString();
        return s.length() >= width ? s.substring(0, width - 1) : s;
    }

    double eta() {
        if (total > 0 && step >= total) {
            return 0;
        }
        long now = nanoClock.getAsLong();
        if (!Double.isNaN(reportedEta)) {
            return Math.max(0, reportedEta - (now - reportedEtaAt) / 1e9);
        }
        if (total > 0 && firstStep >= 0 && step > firstStep) {
            double perStep = (lastStepAt - firstStepAt) / 1e9 / (step - firstStep);
            return Math.max(0, perStep * (total - step) - (now - lastStepAt) / 1e9);
        }
        return Double.NaN;
    }

    static String bar(long step, long total, int cells) {
        int filled = total <= 0 ? 0 : (int) Math.min(cells, step * cells / total);
        StringBuilder b = new StringBuilder(cells + 2).append('[');
        for (int i = 0; i < cells; i++) {
            b.append(i < filled ? '#' : i == filled && total > 0 && step > 0 && step < total ? '>' : '.');
        }
        return b.append(']').toString();
    }

    /** 42s, 3m05s, 1h02m03s. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s % 3600 / 60, s % 60);
    }

    private static String firstValidation(JsonNode data) {
        for (String name : new String[]{"valid_accuracy", "valid_macro_f1", "valid_mcc", "valid_pearson", "valid_spearman",
                "valid_mse", "valid_loss"}) {
            if (data.has(name) && data.get(name).isNumber()) {
                return name;
            }
        }
        return null;
    }

    private static String pad(String s, int length) {
        return s.length() >= length ? s : s + " ".repeat(length - s.length());
    }
}
