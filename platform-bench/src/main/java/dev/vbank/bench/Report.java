package dev.vbank.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Puts the phases' JSON files together: {@code platform.json} and the Markdown table {@code platform.md}. */
final class Report {

    /** One line of the table: what was measured, the figure to reach, what came out. */
    record Row(String figure, String target, String measured, Boolean pass) {
    }

    private Report() {
    }

    static void write(Path out) throws IOException {
        ObjectNode all = PlatformClient.JSON.createObjectNode();
        for (String phase : List.of("latency", "events", "api", "claim")) {
            Path f = out.resolve(phase + ".json");
            if (Files.exists(f)) {
                all.set(phase, PlatformClient.JSON.readTree(f.toFile()));
            }
        }
        List<Row> rows = rows(all);
        StringBuilder md = new StringBuilder("| figure | target | measured | result |\n|---|---|---|---|\n");
        for (Row r : rows) {
            md.append("| ").append(r.figure()).append(" | ").append(r.target()).append(" | ").append(r.measured())
                    .append(" | ").append(r.pass() == null ? "—" : r.pass() ? "pass" : "**miss**").append(" |\n");
        }
        md.append("\nLoad average (1, 5, 15 min) before → after each phase: ");
        all.fields().forEachRemaining(e -> md.append(e.getKey()).append(" `").append(e.getValue().path("load_before")
                .asText()).append("` → `").append(e.getValue().path("load_after").asText()).append("`; "));
        md.append('\n');
        Files.writeString(out.resolve("platform.md"), md);
        PlatformClient.JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("platform.json").toFile(), all);
        System.out.print(md);
    }

    static List<Row> rows(JsonNode all) {
        List<Row> rows = new ArrayList<>();
        for (JsonNode run : all.path("api").path("runs")) {
            String key = run.path("key").asText();
            double p99 = run.path("p99_ms").asDouble();
            String measured = String.format(Locale.ROOT, "%.0f req/s offered, %.1f/s ok (%d of %d; %s); p50 %.1f ms, p99 %.1f ms",
                    run.path("offered_rate").asDouble(), run.path("throughput").asDouble(), run.path("ok").asLong(),
                    run.path("sent").asLong(), run.path("outcomes").toString().replace("\"", ""),
                    run.path("p50_ms").asDouble(), p99);
            boolean allOk = run.path("failed").asLong() == 0;
            switch (key) {
                case "get_job" -> rows.add(new Row("`GET /v1/fine_tuning/jobs/{id}` p99 at 500 req/s", "< 20 ms",
                        measured, allOk && p99 < 20));
                case "list_jobs" -> rows.add(new Row("`GET /v1/fine_tuning/jobs?limit=20` p99", "—", measured, null));
                case "create_job" -> rows.add(new Row("`POST /v1/fine_tuning/jobs` p99 at 200 req/s", "< 50 ms",
                        measured, allOk && p99 < 50));
                default -> {
                }
            }
        }
        JsonNode claim = all.path("claim").path("claim");
        if (!claim.isMissingNode()) {
            rows.add(new Row("claim statement p99, 10,000 queued / 1,000 tenants", "< 10 ms", String.format(Locale.ROOT,
                    "p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d rounds", claim.path("p50_ms").asDouble(),
                    claim.path("p99_ms").asDouble(), claim.path("max_ms").asDouble(), claim.path("rounds").asInt()),
                    claim.path("p99_ms").asDouble() < 10));
            double ratio = claim.path("fairness_ratio").asDouble();
            rows.add(new Row("fairness over the first 1,000 dispatches (largest / smallest per-tenant count)", "≤ 1.5",
                    String.format(Locale.ROOT, "%.2f (each tenant %d..%d; the tenant with half the jobs: %d)", ratio,
                            claim.path("min_per_tenant").asInt(), claim.path("max_per_tenant").asInt(),
                            claim.path("heavy_tenant_dispatches").asInt()), ratio <= 1.5));
        }
        JsonNode sr = all.path("latency").path("submit_to_running");
        if (!sr.isMissingNode()) {
            rows.add(new Row("submit → `running`, idle worker, median of " + sr.path("jobs").asInt() + " jobs", "< 1 s",
                    String.format(Locale.ROOT, "p50 %.0f ms, max %.0f ms", sr.path("p50_ms").asDouble(),
                            sr.path("max_ms").asDouble()), sr.path("p50_ms").asDouble() < 1000));
        }
        JsonNode ev = all.path("events").path("event_to_sse");
        if (!ev.isMissingNode()) {
            boolean complete = ev.path("received").asInt() == ev.path("probes").asInt();
            rows.add(new Row("worker progress event → client SSE", "p50 < 200 ms", String.format(Locale.ROOT,
                    "p50 %.0f ms, p99 %.0f ms (%d of %d events)", ev.path("p50_ms").asDouble(),
                    ev.path("p99_ms").asDouble(), ev.path("received").asInt(), ev.path("probes").asInt()),
                    complete && ev.path("p50_ms").asDouble() < 200));
        }
        return rows;
    }
}
