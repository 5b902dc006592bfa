package dev.vbank.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

@Command(name = "configure", mixinStandardHelpOptions = true,
        description = {"Store the endpoint and API key of a profile in ~/.config/vbank/config.json (mode 0600).",
                "Without --endpoint/--api-key/--api-key-stdin: show the settings in effect and where each comes from."})
final class ConfigureCommand extends ApiCommand {

    @Option(names = "--api-key-stdin", description = "read the API key from the first line of stdin (keeps it out of "
            + "the shell history)")
    boolean keyFromStdin;

    @Override
    public Integer call() throws IOException {
        VbankCli root = root();
        CliConfig config = root.config();
        String key = root.apiKey;
        if (keyFromStdin) {
            String line = new BufferedReader(new InputStreamReader(root.stdin, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isBlank()) {
                throw CliException.usage("--api-key-stdin: no key on stdin");
            }
            key = line.strip();
        }
        String profile = root.profile != null ? root.profile
                : root.env.getOrDefault("VBANK_PROFILE", CliConfig.DEFAULT_PROFILE);
        if (root.endpoint != null || key != null) {
            if (key != null && key.isBlank()) {
                throw CliException.usage("--api-key must not be empty");
            }
            config.write(profile, root.endpoint, key);
            if (!json()) {
                out().println("saved profile '" + profile + "' in " + config.file());
            }
        }
        CliConfig.Resolved s = config.resolve(profile, null, null);
        if (json()) {
            out().println(ApiClient.JSON.createObjectNode().put("profile", s.profile()).put("file", s.file().toString())
                    .put("endpoint", s.endpoint().value()).put("endpoint_source", s.endpoint().source().name().toLowerCase())
                    .put("api_key", CliConfig.mask(s.apiKey().value()))
                    .put("api_key_source", s.apiKey().source().name().toLowerCase()));
        } else {
            out().println("profile:  " + s.profile());
            out().println("file:     " + s.file());
            out().println("endpoint: " + s.endpoint().value() + "  (" + s.endpoint().source().name().toLowerCase() + ")");
            out().println("api key:  " + CliConfig.mask(s.apiKey().value()) + "  ("
                    + s.apiKey().source().name().toLowerCase() + ")");
        }
        out().flush();
        return Exit.OK;
    }
}
