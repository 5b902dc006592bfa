package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real headless Chromium against the running platform: a tenant signs in with its key, watches a
 * VB-LoRA job train live (the loss chart must end with exactly the job's progress points, as the events API has them),
 * opens the adapter (the bank-selection heatmap must be drawn with one cell per selected bank vector, the usage
 * histogram must match the API, and the evaluation table must show the results the API has for the adapter, evaluated on
 * a small suite of the tenant's own that the job asked for at create; "Try it" must show the public API's label and
 * probabilities for a typed sentence, and the downloads must arrive sha256-checked), and a second tenant's key shows
 * neither. Screenshots go to {@code target/}.
 * <p>
 * Needs Debian's {@code chromium} and {@code chromium-driver} at /usr/bin (skipped with a message when absent); the
 * driver is the packaged one, so nothing is downloaded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final int TRAIN_ROWS = 96;
    static final int VALIDATION_ROWS = 32;
    static final int BATCH = 8;
    static final int EPOCHS = 2;
    static final int STEPS = EPOCHS * TRAIN_ROWS / BATCH;

    LocalPlatform platform;
    ChromeDriverService driverService;
    WebDriver browser;
    Path shots;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeFalse(LocalPlatform.skipped(), "vbank.e2e.skip=true");
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "dashboard browser test skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (Debian packages chromium and chromium-driver)");
        platform = new LocalPlatform("dashboard");
        shots = platform.repo.resolve("e2e-tests/target");
        LocalPlatform.Result r = platform.up();
        assertThat(r.exit()).as("vbank-local up:\n" + r.output()).isZero();

        // the packaged driver and browser, named explicitly, so Selenium Manager has nothing to look up or download
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        Path profile = Files.createTempDirectory(platform.dataDir, "chromium-profile-");
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile);
        browser = new ChromeDriver(driverService, options);
        browser.manage().window().setSize(new Dimension(1280, 2000));
    }

    @AfterAll
    void down() throws Exception {
        try {
            if (browser != null) {
                browser.quit();
            }
            if (driverService != null) {
                driverService.stop();
            }
        } finally {
            if (platform != null) {
                platform.down();
            }
        }
    }

    @Test
    void tenantWatchesItsJobTrainAndInspectsItsAdapterWhileAnotherTenantSeesNothing() throws Exception {
        Api.Tenant a = Api.createTenant(platform.adminToken, "dash-a");
        Api.Tenant b = Api.createTenant(platform.adminToken, "dash-b");
        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(a.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        JsonNode valid = Api.upload(a.key(), "amazon-validation.jsonl",
                rows.subList(TRAIN_ROWS, TRAIN_ROWS + VALIDATION_ROWS));
        // a small suite of the tenant's own (50 UCI Amazon test sentences) that the job's adapter is evaluated on
        Response suite = Api.as(a.key()).contentType("application/json").body("""
                {"name": "dash-small", "tasks": [{"name": "amazon", "dataset": "public:uci-amazon",
                 "task_type": "classification", "metrics": ["accuracy", "f1_macro"],
                 "split": {"part": "test", "test_fraction": 0.1, "seed": 1, "limit": 50}}]}""")
                .post("/v1/evaluation_suites");
        assertThat(suite.statusCode()).as(suite.asString()).isEqualTo(201);
        String jobId = Api.createJob(a.key(), train.path("id").asText(), valid.path("id").asText(), EPOCHS, BATCH, 64,
                "dash-small").path("id").asText();

        // ---- a wrong key is refused on the sign-in page; the tenant's key opens the jobs list
        open("/dashboard/");
        signIn("vbk_" + "A".repeat(43));
        assertThat(until(Duration.ofSeconds(20), () -> text(By.id("login-error")).filter(t -> !t.isEmpty())))
                .contains("not valid");
        signIn(a.key());
        until(Duration.ofSeconds(20), () -> present(By.cssSelector("#jobs tr[data-job-id='" + jobId + "']")));

        // ---- the job page while the job runs: the loss chart grows live, then stops at the terminal state
        browser.findElement(By.cssSelector("#jobs tr[data-job-id='" + jobId + "'] a")).click();
        List<Integer> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (!"ended".equals(attr(By.id("job"), "data-stream").orElse(""))) {
            assertThat(System.nanoTime()).as("job page still open after 10 minutes; seen " + seen).isLessThan(deadline);
            assertThat(text(By.id("page-error"))).as("job page error").isEmpty();
            try {
                attr(By.cssSelector("svg[data-chart='loss']"), "data-points").map(Integer::parseInt)
                        .filter(n -> seen.isEmpty() || !seen.get(seen.size() - 1).equals(n)).ifPresent(seen::add);
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                // redrawn between finding and reading
            }
            Thread.sleep(250);
        }
        System.out.printf("[dashboard] loss points seen while the job ran: %s%n", seen);
        assertThat(seen).as("the loss chart filled in while the job trained").anyMatch(n -> n > 0 && n < STEPS);
        assertThat(attr(By.cssSelector("#job-meta [data-status]"), "data-status")).contains("succeeded");

        List<JsonNode> events = allEvents(a.key(), jobId);
        Map<Long, Double> loss = new TreeMap<>();
        TreeSet<String> groups = new TreeSet<>();
        TreeSet<String> evalPoints = new TreeSet<>();
        for (JsonNode e : events) {
            JsonNode d = e.path("data");
            if (Api.isProgress(e)) {
                loss.put(d.path("step").asLong(), d.path("train_loss").asDouble());
                d.path("learning_rates").fieldNames().forEachRemaining(groups::add);
            } else if (e.path("type").asText().equals("metrics") && d.has("valid_examples")) {
                for (var it = d.fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    if (name.startsWith("valid_") && !name.equals("valid_examples") && d.path(name).isNumber()) {
                        evalPoints.add(name + "@" + d.path("step").asLong());
                    }
                }
            }
        }
        assertThat(loss).hasSize(STEPS);
        Map<Long, Double> drawn = new TreeMap<>();
        for (WebElement p : browser.findElements(By.cssSelector("svg[data-chart='loss'] circle.point"))) {
            assertThat(drawn.put(Long.parseLong(p.getDomAttribute("data-step")),
                    Double.parseDouble(p.getDomAttribute("data-value")))).as("one point per step").isNull();
        }
        assertThat(drawn).as("loss chart points vs the events API").isEqualTo(loss);
        assertThat(browser.findElements(By.cssSelector("svg[data-chart='loss'] polyline"))).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("svg[data-chart='lr'] circle.point")))
                .as("one learning-rate point per group %s and step", groups).hasSize(groups.size() * STEPS);
        assertThat(evalPoints).as("validation metrics in the events").isNotEmpty();
        assertThat(browser.findElements(By.cssSelector("svg[data-chart='eval'] circle.point")).stream()
                .map(p -> p.getDomAttribute("data-series") + "@" + p.getDomAttribute("data-step")).toList())
                .containsExactlyInAnyOrderElementsOf(evalPoints);
        screenshot("dashboard-job.png");

        // ---- the adapter page: sizes, the bank-selection heatmap and the usage histogram agree with the API
        String adapterId = Api.job(a.key(), jobId).path("adapter_id").asText();
        String evaluationId = Api.job(a.key(), jobId).path("evaluation_id").asText();
        assertThat(evaluationId).startsWith("eval-");
        awaitEvaluation(a.key(), evaluationId);
        browser.findElement(By.id("adapter-link")).click();
        until(Duration.ofSeconds(60), () -> attr(By.id("heatmap"), "data-cells"));
        JsonNode usage = Api.JSON.readTree(Api.as(a.key()).get("/v1/adapters/" + adapterId + "/bank_usage").asString());
        assertThat(usage.path("has_bank").asBoolean()).isTrue();
        int subVectors = usage.path("sub_vectors_sent").asInt();
        int k = usage.path("topk").asInt();
        int h = usage.path("num_vectors").asInt();
        assertThat(subVectors).isEqualTo(usage.path("sub_vectors").asInt()).isPositive();
        WebElement heatmap = browser.findElement(By.id("heatmap"));
        assertThat(heatmap.getDomAttribute("data-cells")).isEqualTo(Integer.toString(subVectors * k));
        assertThat(heatmap.getDomAttribute("data-rows")).isEqualTo(Integer.toString(subVectors));
        assertThat(heatmap.getDomAttribute("data-cols")).isEqualTo(Integer.toString(h));
        // the canvas really holds coloured cells: pixels other than the empty background, in several colours
        @SuppressWarnings("unchecked")
        Map<String, Object> pixels = (Map<String, Object>) ((JavascriptExecutor) browser).executeScript("""
                const c = document.getElementById('heatmap');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let painted = 0; const colours = new Set();
                for (let i = 0; i < d.length; i += 4) {
                  if (d[i] !== 0xf1 || d[i + 1] !== 0xf2 || d[i + 2] !== 0xf6) { painted++; colours.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]); }
                }
                return { painted, colours: colours.size, width: c.width, height: c.height };""");
        System.out.printf("[dashboard] heatmap %s for %d sub-vectors x k=%d over %d bank vectors%n", pixels, subVectors, k, h);
        assertThat(((Number) pixels.get("painted")).longValue()).isPositive();
        assertThat(((Number) pixels.get("colours")).longValue()).isGreaterThan(1);

        List<WebElement> bars = browser.findElements(By.cssSelector("svg[data-chart='usage'] rect.bar"));
        assertThat(bars).hasSize(h);
        long total = 0;
        for (int v = 0; v < h; v++) {
            assertThat(bars.get(v).getDomAttribute("data-count")).as("usage of bank vector %d", v)
                    .isEqualTo(usage.path("usage").get(v).asText());
            total += usage.path("usage").get(v).asLong();
        }
        assertThat(total).isEqualTo((long) subVectors * k);
        List<String> sizes = browser.findElements(By.cssSelector("svg[data-chart='sizes'] rect.size-bar")).stream()
                .map(e -> e.getDomAttribute("data-bytes")).toList();
        JsonNode meta = Api.JSON.readTree(Api.as(a.key()).get("/v1/adapters/" + adapterId).asString());
        assertThat(sizes).containsExactly(meta.path("bytes").asText(), usage.path("lora_equivalent_bytes").asText());
        // the evaluation table: one row per result the API has for the adapter, each metric the API's value
        JsonNode results = Api.JSON.readTree(Api.as(a.key()).get("/v1/adapters/" + adapterId + "/evaluation_results")
                .asString()).path("data");
        assertThat(results).hasSize(1);
        WebElement table = until(Duration.ofSeconds(10), () -> present(By.id("evaluations")));
        List<WebElement> resultRows = table.findElements(By.cssSelector("tbody tr"));
        assertThat(resultRows).hasSize(results.size());
        for (int i = 0; i < results.size(); i++) {
            JsonNode r = results.get(i);
            WebElement row = resultRows.get(i);
            assertThat(row.getDomAttribute("data-evaluation-id")).isEqualTo(r.path("evaluation_id").asText())
                    .isEqualTo(evaluationId);
            assertThat(row.getDomAttribute("data-task")).isEqualTo(r.path("task").asText()).isEqualTo("amazon");
            assertThat(row.getDomAttribute("data-subject")).isEqualTo("adapter");
            assertThat(row.findElement(By.cssSelector("[data-status]")).getDomAttribute("data-status"))
                    .isEqualTo(r.path("status").asText()).isEqualTo("succeeded");
            Map<String, Double> shown = new TreeMap<>();
            for (WebElement cell : row.findElements(By.cssSelector("td[data-metric]"))) {
                shown.put(cell.getDomAttribute("data-metric"), Double.parseDouble(cell.getDomAttribute("data-value")));
                assertThat(cell.getText()).isEqualTo(String.format(java.util.Locale.ROOT, "%.4f",
                        Double.parseDouble(cell.getDomAttribute("data-value"))));
            }
            Map<String, Double> api = new TreeMap<>();
            r.path("metrics").fields().forEachRemaining(m -> api.put(m.getKey(), m.getValue().asDouble()));
            assertThat(shown).as("metrics of row %d vs the API", i).isEqualTo(api).containsKeys("accuracy", "f1_macro");
            assertThat(row.getText()).contains("dash-small@1", r.path("examples").asText());
        }
        // ---- "Try it": the label and probabilities shown are the public API's for the same text
        String sentence = "The battery lasts all day and the screen is sharp.";
        browser.findElement(By.id("try-text")).sendKeys(sentence);
        browser.findElement(By.id("try-run")).click();
        WebElement prediction = until(Duration.ofSeconds(60), () -> present(By.cssSelector("#try-result .prediction")));
        JsonNode expected = Api.JSON.readTree(Api.as(a.key()).contentType("application/json")
                .body(Api.JSON.createObjectNode().put("adapter", adapterId).set("inputs",
                        Api.JSON.createArrayNode().add(sentence))).post("/v1/predictions").asString())
                .path("data").get(0);
        assertThat(prediction.getDomAttribute("data-label")).isEqualTo(expected.path("label").asText());
        List<WebElement> probabilityRows = prediction.findElements(By.cssSelector("tr[data-label]"));
        assertThat(probabilityRows).hasSize(expected.path("probabilities").size());
        for (WebElement row : probabilityRows) {
            assertThat(Double.parseDouble(row.getDomAttribute("data-probability"))).isCloseTo(
                    expected.path("probabilities").path(row.getDomAttribute("data-label")).asDouble(),
                    org.assertj.core.api.Assertions.within(1e-6));
        }
        assertThat(text(By.id("try-usage")).orElse("")).contains("1 input(s)");
        // ---- downloads: compact (its sha256 is the adapter's) and PEFT, checked in the browser against the header
        browser.findElement(By.id("download-compact")).click();
        assertThat(until(Duration.ofSeconds(30), () -> attr(By.id("download-status"), "data-sha256")
                .filter(x -> "compact".equals(attr(By.id("download-status"), "data-format").orElse("")))))
                .isEqualTo(meta.path("sha256").asText());
        assertThat(text(By.id("download-status")).orElse("")).contains("(verified)");
        browser.findElement(By.id("download-peft")).click();
        assertThat(until(Duration.ofSeconds(60), () -> attr(By.id("download-status"), "data-format")
                .filter("peft"::equals))).isEqualTo("peft");
        assertThat(Long.parseLong(attr(By.id("download-status"), "data-bytes").orElse("0"))).isPositive();
        assertThat(present(By.id("download-merged"))).isPresent();
        screenshot("dashboard-adapter.png");

        // ---- the adapter's bank published, a second adapter trained against it: the bank page shows that adapter and the
        // usage summed over the adapters that use the bank, as the API reports it
        Response published = Api.as(a.key()).contentType("application/json")
                .body("{\"from_adapter\": \"" + adapterId + "\", \"name\": \"dash\"}").post("/v1/vector_banks");
        assertThat(published.statusCode()).as(published.asString()).isEqualTo(201);
        String bankId = Api.JSON.readTree(published.asString()).path("id").asText();
        ObjectNode bankJobBody = Api.JSON.createObjectNode().put("model", "all-minilm-l6-v2")
                .put("training_file", train.path("id").asText()).put("seed", 14);
        bankJobBody.putObject("method").put("type", "vblora").putObject("hyperparameters").put("n_epochs", 1)
                .put("batch_size", BATCH).put("max_seq_length", 64).put("vector_bank", bankId);
        Response bankJob = Api.as(a.key()).contentType("application/json").body(bankJobBody.toString())
                .post("/v1/fine_tuning/jobs");
        assertThat(bankJob.statusCode()).as(bankJob.asString()).isIn(200, 201);
        String bankJobId = Api.JSON.readTree(bankJob.asString()).path("id").asText();
        long bankJobDeadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        JsonNode bankJobState = Api.job(a.key(), bankJobId);
        while (!JobStatus.isTerminal(bankJobState.path("status").asText())) {
            assertThat(System.nanoTime()).as("job against the bank still " + bankJobState).isLessThan(bankJobDeadline);
            Thread.sleep(500);
            bankJobState = Api.job(a.key(), bankJobId);
        }
        assertThat(bankJobState.path("status").asText()).as("job against the bank: " + bankJobState)
                .isEqualTo("succeeded");
        String bankAdapter = bankJobState.path("adapter_id").asText();
        open("/dashboard/#/vector_banks/" + bankId);
        until(Duration.ofSeconds(30), () -> present(By.cssSelector("svg[data-chart='bank-usage']")));
        JsonNode bankUsage = Api.JSON.readTree(Api.as(a.key()).get("/v1/vector_banks/" + bankId + "/usage").asString());
        assertThat(bankUsage.path("adapters").toString()).contains(bankAdapter);
        assertThat(browser.findElements(By.cssSelector("#bank-adapters li a")).stream().map(WebElement::getText))
                .containsExactly(bankAdapter);
        List<WebElement> bankBars = browser.findElements(By.cssSelector("svg[data-chart='bank-usage'] rect.bar"));
        assertThat(bankBars).hasSize(bankUsage.path("usage").size());
        long bankTotal = 0;
        for (int v = 0; v < bankBars.size(); v++) {
            assertThat(bankBars.get(v).getDomAttribute("data-count")).as("bank usage of vector %d", v)
                    .isEqualTo(bankUsage.path("usage").get(v).asText());
            bankTotal += bankUsage.path("usage").get(v).asLong();
        }
        assertThat(bankTotal).as("selections summed over the bank's adapters").isPositive();
        screenshot("dashboard-bank.png");

        // ---- tenant b signs in: no job in its list, and a's job and adapter pages are "not found"
        browser.findElement(By.id("logout")).click();
        signIn(b.key());
        until(Duration.ofSeconds(20), () -> present(By.id("no-jobs")).filter(WebElement::isDisplayed));
        assertThat(browser.findElements(By.cssSelector("#jobs tr[data-job-id]"))).isEmpty();
        open("/dashboard/#/jobs/" + jobId);
        assertThat(until(Duration.ofSeconds(20), () -> attr(By.id("page-error"), "data-status"))).isEqualTo("404");
        assertThat(browser.findElements(By.cssSelector("svg[data-chart='loss']"))).isEmpty();
        open("/dashboard/#/adapters/" + adapterId);
        assertThat(until(Duration.ofSeconds(20), () -> attr(By.id("page-error"), "data-status"))).isEqualTo("404");
        assertThat(browser.findElements(By.id("heatmap"))).isEmpty();
        assertThat(browser.getPageSource()).doesNotContain(meta.path("sha256").asText());
        open("/dashboard/#/vector_banks/" + bankId);
        assertThat(until(Duration.ofSeconds(20), () -> attr(By.id("page-error"), "data-status"))).isEqualTo("404");
        assertThat(browser.findElements(By.cssSelector("svg[data-chart='bank-usage']"))).isEmpty();
        screenshot("dashboard-other-tenant.png");
    }

    // ---------------------------------------------------------------- helpers

    void open(String path) {
        browser.get(LocalPlatform.GATEWAY + path);
    }

    void signIn(String key) throws InterruptedException {
        WebElement input = until(Duration.ofSeconds(20), () -> present(By.id("api-key")));
        input.clear();
        input.sendKeys(key);
        browser.findElement(By.id("login-submit")).click();
    }

    java.util.Optional<WebElement> present(By by) {
        List<WebElement> found = browser.findElements(by);
        return found.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(found.get(0));
    }

    java.util.Optional<String> attr(By by, String name) {
        return present(by).map(e -> e.getDomAttribute(name));
    }

    java.util.Optional<String> text(By by) {
        return present(by).map(WebElement::getText);
    }

    <T> T until(Duration timeout, Supplier<java.util.Optional<T>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                java.util.Optional<T> v = probe.get();
                if (v.isPresent()) {
                    return v.get();
                }
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                // the page re-rendered between finding and reading: look again
            }
            if (System.nanoTime() > deadline) {
                screenshot("dashboard-timeout.png");
                throw new AssertionError("timed out after " + timeout + " on " + browser.getCurrentUrl());
            }
            Thread.sleep(200);
        }
    }

    void screenshot(String name) {
        try {
            Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(png, shots.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("[dashboard] screenshot " + shots.resolve(name));
        } catch (Exception e) {
            System.out.println("[dashboard] no screenshot " + name + ": " + e);
        }
    }

    /** Polls the evaluation until it ends; it must succeed. */
    static void awaitEvaluation(String key, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (true) {
            JsonNode e = Api.JSON.readTree(Api.as(key).get("/v1/evaluations/" + id).asString());
            if (JobStatus.isTerminal(e.path("status").asText())) {
                assertThat(e.path("status").asText()).as("evaluation " + e).isEqualTo("succeeded");
                return;
            }
            assertThat(System.nanoTime()).as("evaluation still " + e.path("status") + " after 5 minutes")
                    .isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    /** Every event of the job through the JSON pages. */
    static List<JsonNode> allEvents(String key, String jobId) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        while (true) {
            List<JsonNode> page = Api.eventsPage(key, jobId, after);
            all.addAll(page);
            if (page.size() < 100) {
                return all;
            }
            after = page.get(page.size() - 1).path("id").asText();
        }
    }
}
