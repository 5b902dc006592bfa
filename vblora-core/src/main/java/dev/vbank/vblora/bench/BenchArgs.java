package dev.vbank.vblora.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} options of the benchmark mains, and the statistics they print. */
public final class BenchArgs {

    private final Map<String, String> values;

    private BenchArgs(Map<String, String> values) {
        this.values = values;
    }

    public static BenchArgs parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --name value pairs, got " + Arrays.toString(args));
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return new BenchArgs(out);
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public int integer(String name, int fallback) {
        String v = values.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    /** A comma-separated list, each item stripped. */
    public List<String> list(String name, String fallback) {
        return Arrays.stream(string(name, fallback).split(",")).map(String::strip).toList();
    }

    public static double median(double[] xs) {
        double[] a = xs.clone();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** The 1, 5 and 15 minute load averages, to print next to every figure taken on a shared machine. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "n/a";
        }
    }
}
