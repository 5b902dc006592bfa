package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;

@Command(name = "adapters", mixinStandardHelpOptions = true, description = "Adapters: trained by jobs, or imported from PEFT.",
        subcommands = {AdaptersCommand.Get.class, AdaptersCommand.Download.class, AdaptersCommand.Import.class,
                AdaptersCommand.Results.class})
final class AdaptersCommand {

    static final String BASE = "/v1/adapters";

    enum Format {
        compact("compact", ".vbank"), peft("peft", "-peft.zip"),
        merged("merged", "-merged.safetensors");

        final String wire;
        final String suffix;

        Format(String wire, String suffix) {
            this.wire = wire;
            this.suffix = suffix;
        }
    }

    static Format format(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "compact", "native", "vbank" -> Format.compact;
            case "peft" -> Format.peft;
            case "merged" -> Format.merged;
            default -> throw CliException.usage("--format must be native (compact), peft or merged, not '" + name + "'");
        };
    }

    static int reportDownload(ApiCommand cmd, ApiClient.Download d) {
        if (cmd.json()) {
            cmd.out().println(ApiClient.JSON.createObjectNode().put("path", d.file().toString()).put("bytes", d.bytes())
                    .put("sha256", d.sha256()).put("verified", d.reportedSha256() != null));
        } else {
            cmd.out().printf("saved %s (%d bytes, sha256 %s%s)%n", d.file(), d.bytes(), d.sha256(),
                    d.reportedSha256() != null ? ", verified" : ", NOT verified: the API reported no sha256");
        }
        cmd.out().flush();
        return Exit.OK;
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show an adapter's metadata.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "ADAPTER_ID")
        String id;

        @Override
        public Integer call() {
            return showObject(api().get(path(BASE, id), Map.of()));
        }
    }

    @Command(name = "download", aliases = "export", mixinStandardHelpOptions = true,
            description = {"Download an adapter: native (vbank compact, the stored bytes), peft (zip of a Hugging Face "
                    + "PEFT directory) or merged (safetensors of the base weights with the adapter merged in).",
                    "The bytes are streamed to a temporary file and kept only if their sha256 matches the one the API "
                            + "reports (X-Vbank-Sha256; for native also the adapter metadata); else exit 7."})
    static final class Download extends ApiCommand {
        @Parameters(paramLabel = "ADAPTER_ID")
        String id;
        @Option(names = "--format", defaultValue = "native", description = "native (default), peft or merged")
        String format;
        @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "default: ADAPTER_ID.vbank, "
                + "ADAPTER_ID-peft.zip or ADAPTER_ID-merged.safetensors")
        Path output;
        @Option(names = "--save-only-topk-weights", arity = "1", paramLabel = "true|false", description = "peft, VB-LoRA only: "
                + "top-k indices and weights (true) or the full logits (false); default: as the adapter was stored")
        Boolean saveOnlyTopkWeights;

        @Override
        public Integer call() {
            Format f = format(format);
            if (saveOnlyTopkWeights != null && f != Format.peft) {
                throw CliException.usage("--save-only-topk-weights applies to --format peft");
            }
            ApiClient api = api();
            JsonNode meta = api.get(path(BASE, id), Map.of()).tree();
            String expected = f == Format.compact ? meta.path("sha256").asText(null) : null;
            Path target = output != null ? output : Path.of(id + f.suffix);
            Map<String, String> query = new java.util.LinkedHashMap<>();
            query.put("format", f.wire);
            if (saveOnlyTopkWeights != null) {
                query.put("save_only_topk_weights", saveOnlyTopkWeights.toString());
            }
            ApiClient.Download d = api.download(path(BASE, id, "content"), query, target, expected);
            return reportDownload(this, d);
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Import a Hugging Face PEFT adapter (VB-LoRA in either save mode, or LoRA): PATH is its "
                    + "directory (adapter_config.json, adapter_model.safetensors, optionally vbank_head.safetensors) or "
                    + "a zip of it.",
                    "The base model is the one its base_model_name_or_path names, or --model."})
    static final class Import extends ApiCommand {
        @Parameters(paramLabel = "PATH")
        Path path;
        @Option(names = "--model", description = "base model: vbank's id or its Hugging Face id")
        String model;

        @Override
        public Integer call() {
            byte[] zip = PeftZip.of(path);
            return showObject(api().importAdapter(zip, model));
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true,
            description = "Evaluation results of an adapter across all evaluations.")
    static final class Results extends ApiCommand {
        @Parameters(paramLabel = "ADAPTER_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(path(BASE, id, "evaluation_results"), Map.of());
            return show(r, () -> EvalsCommand.resultsTable(out(), data(r.tree())));
        }
    }
}
