package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** What every command has: the root's settings, stdout, and the --json switch. */
abstract class ApiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    VbankCli root() {
        return (VbankCli) spec.root().userObject();
    }

    ApiClient api() {
        return root().api();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    boolean json() {
        return root().json;
    }

    /** --json: the body as the API sent it; else {@code human}. */
    int show(ApiClient.Json response, Runnable human) {
        if (json()) {
            out().println(response.raw());
        } else {
            human.run();
        }
        out().flush();
        return Exit.OK;
    }

    int showObject(ApiClient.Json response) {
        return show(response, () -> Render.object(out(), response.tree()));
    }

    static Map<String, String> page(String after, Integer limit) {
        Map<String, String> q = new LinkedHashMap<>();
        if (after != null) {
            q.put("after", after);
        }
        if (limit != null) {
            q.put("limit", Integer.toString(limit));
        }
        return q;
    }

    /** {@code base} as is, then each segment percent-encoded (ids come from the user). */
    static String path(String base, String... segments) {
        StringBuilder b = new StringBuilder(base);
        for (String s : segments) {
            b.append('/').append(ApiClient.enc(s).replace("+", "%20"));
        }
        return b.toString();
    }

    static List<JsonNode> data(JsonNode list) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode d = list.isArray() ? list : list.path("data");
        d.forEach(out::add);
        return out;
    }

    /** key=value pairs of a repeated option (metadata, filters). */
    static Map<String, String> pairs(String option, List<String> values) {
        Map<String, String> m = new LinkedHashMap<>();
        if (values == null) {
            return m;
        }
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw CliException.usage(option + " takes key=value, got '" + v + "'");
            }
            m.put(v.substring(0, eq), v.substring(eq + 1));
        }
        return m;
    }
}
