package dev.vbank.e2e.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** Figures of a fault or scale run, printed and appended to {@code e2e-tests/target/faults/report.md}. */
final class Report {

    private final Path file;

    Report(Path repo, String title) throws IOException {
        file = Files.createDirectories(repo.resolve("e2e-tests/target/faults")).resolve("report.md");
        line("");
        line("## " + title + " (" + Instant.now() + ", size " + Size.name() + ", load average "
                + loadAverage() + ")");
    }

    synchronized void line(String text) {
        System.out.println("[faults] " + text);
        try {
            Files.writeString(file, text + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("[faults] cannot write " + file + ": " + e);
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** CI size by default; {@code -Dvbank.faults.size=full} runs the full counts. */
    static final class Size {
        static boolean full() {
            return "full".equals(System.getProperty("vbank.faults.size", "ci"));
        }

        static String name() {
            return full() ? "full" : "ci";
        }

        static int pick(int ci, int full) {
            return full() ? full : ci;
        }
    }
}
