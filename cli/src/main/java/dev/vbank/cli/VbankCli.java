package dev.vbank.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** {@code vbank}: the command line client of the vbank public API. Exit statuses are in {@link Exit}. */
@Command(name = "vbank", mixinStandardHelpOptions = true, versionProvider = VbankCli.Version.class,
        description = "Fine-tuning as a service on VB-LoRA: files, jobs (with a live progress bar), adapters, evaluations.",
        subcommands = {ConfigureCommand.class, FilesCommand.class, JobsCommand.class, AdaptersCommand.class,
                ModelsCommand.class, EvalsCommand.class, SuitesCommand.class,
                InferenceCommands.Predict.class, InferenceCommands.Embed.class, CommandLine.HelpCommand.class},
        footer = {"", "Settings: --endpoint/--api-key flags, else VBANK_ENDPOINT/VBANK_API_KEY, else the profile in "
                + "~/.config/vbank/config.json (vbank configure).",
                "Exit status: 0 ok, 1 API error, 2 usage, 3 connection error, 4 auth error, 5 job/evaluation failed, "
                        + "6 cancelled, 7 sha256 mismatch."})
public final class VbankCli {

    @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "API base URL (default: VBANK_ENDPOINT, the profile's, or " + CliConfig.DEFAULT_ENDPOINT + ")")
    String endpoint;

    @Option(names = "--api-key", scope = ScopeType.INHERIT, paramLabel = "KEY",
            description = "tenant API key (default: VBANK_API_KEY or the profile's)")
    String apiKey;

    @Option(names = "--profile", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "profile in the config file (default: VBANK_PROFILE or 'default')")
    String profile;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "print the API's JSON as is (errors too, on stdout), for scripts")
    boolean json;

    final Map<String, String> env;
    final Path home;
    final boolean terminal;
    final InputStream stdin;

    VbankCli(Map<String, String> env, Path home, boolean terminal, InputStream stdin) {
        this.env = env;
        this.home = home;
        this.terminal = terminal;
        this.stdin = stdin;
    }

    CliConfig config() {
        return new CliConfig(env, home);
    }

    CliConfig.Resolved settings() {
        return config().resolve(profile, endpoint, apiKey);
    }

    /** A client for the resolved endpoint and key; no key configured is an auth error with the fix. */
    ApiClient api() {
        CliConfig.Resolved s = settings();
        if (s.apiKey().value() == null) {
            throw new CliException(Exit.AUTH, "no API key configured for profile '" + s.profile() + "'; run vbank configure "
                    + "--api-key KEY (or set VBANK_API_KEY, or pass --api-key)");
        }
        return new ApiClient(s.endpoint().value(), s.apiKey().value(), Duration.ofSeconds(10), Duration.ofSeconds(120));
    }

    /** Terminal width from COLUMNS (the JVM cannot ask the terminal), else 80. */
    int width() {
        try {
            return Integer.parseInt(env.getOrDefault("COLUMNS", "80").strip());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(args, System.getenv(), Path.of(System.getProperty("user.home")), out, err, System.console() != null,
                System.in);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line with the given environment and streams; returns the exit status. */
    public static int run(String[] args, Map<String, String> env, Path home, PrintWriter out, PrintWriter err,
                          boolean terminal, InputStream stdin) {
        VbankCli root = new VbankCli(env, home, terminal, stdin);
        CommandLine cmd = commandLine(root);
        cmd.setOut(out);
        cmd.setErr(err);
        return cmd.execute(args);
    }

    static CommandLine commandLine(VbankCli root) {
        CommandLine cmd = new CommandLine(root);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        JobsCommand.Create.describeHyperparameters(cmd.getSubcommands().get("jobs").getSubcommands().get("create"));
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (ex instanceof CliException c) {
                if (root.json && c.body() != null) {
                    line.getOut().println(c.body().toString());
                    line.getOut().flush();
                } else if (root.json) {
                    line.getOut().println(ApiClient.JSON.createObjectNode().set("error", ApiClient.JSON.createObjectNode()
                            .put("code", codeName(c.exitCode())).put("message", c.getMessage()).putNull("param")));
                    line.getOut().flush();
                }
                err.println("vbank: " + c.getMessage());
                err.flush();
                return c.exitCode();
            }
            err.println("vbank: unexpected error: " + ex);
            err.flush();
            return Exit.API_ERROR;
        });
        cmd.setParameterExceptionHandler((ex, args) -> {
            CommandLine line = ex.getCommandLine();
            PrintWriter err = line.getErr();
            err.println("vbank: " + ex.getMessage());
            err.println("Usage: " + line.getCommandSpec().qualifiedName() + " --help");
            err.flush();
            return Exit.USAGE;
        });
        return cmd;
    }

    static String codeName(int exit) {
        return switch (exit) {
            case Exit.USAGE -> "usage_error";
            case Exit.CONNECTION -> "connection_error";
            case Exit.AUTH -> "auth_error";
            case Exit.FAILED -> "failed";
            case Exit.CANCELLED -> "cancelled";
            case Exit.INTEGRITY -> "sha256_mismatch";
            default -> "error";
        };
    }

    static String version() {
        String v = VbankCli.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"vbank " + version()};
        }
    }
}
