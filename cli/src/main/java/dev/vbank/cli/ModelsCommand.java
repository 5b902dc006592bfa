package dev.vbank.cli;

import picocli.CommandLine.Command;

import java.util.List;
import java.util.Map;

@Command(name = "models", mixinStandardHelpOptions = true, description = "Base models.",
        subcommands = ModelsCommand.ListModels.class)
final class ModelsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the base models jobs can fine-tune.")
    static final class ListModels extends ApiCommand {
        @Override
        public Integer call() {
            ApiClient.Json r = api().get("/v1/models", Map.of());
            return show(r, () -> Render.table(out(), List.of("ID", "ARCHITECTURE", "LAYERS", "HIDDEN", "STATUS"),
                    data(r.tree()).stream().map(m -> List.of(Render.text(m, "id"), Render.text(m, "architecture"),
                            Render.text(m, "layers"), Render.text(m, "hidden_size"), Render.text(m, "status"))).toList()));
        }
    }
}
