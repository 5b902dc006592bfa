package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

@Command(name = "files", mixinStandardHelpOptions = true, description = "Training data files (JSONL or CSV).",
        subcommands = {FilesCommand.Upload.class, FilesCommand.ListFiles.class, FilesCommand.Get.class,
                FilesCommand.Delete.class, FilesCommand.Download.class})
final class FilesCommand {

    static final String BASE = "/v1/files";

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = "Upload a .jsonl or .csv file (streamed). Exits 1 if the platform stored it with status error.")
    static final class Upload extends ApiCommand {
        @Parameters(paramLabel = "PATH")
        Path file;
        @Option(names = "--filename", description = "name to store it under (default: the file's name)")
        String filename;
        @Option(names = "--purpose", defaultValue = "fine-tune", description = "default: ${DEFAULT-VALUE}")
        String purpose;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw CliException.usage("cannot read " + file + ": not a readable file");
            }
            ApiClient.Json r = api().upload(file, filename != null ? filename : file.getFileName().toString(), purpose);
            JsonNode f = r.tree();
            show(r, () -> out().printf("%s  %s  %s bytes  %s rows  labels %s  status %s%n", f.path("id").asText(),
                    f.path("filename").asText(), f.path("bytes").asText(), f.path("rows").asText(),
                    f.path("labels").toString(), f.path("status").asText()));
            if (!"processed".equals(f.path("status").asText())) {
                throw new CliException(Exit.API_ERROR, "file " + f.path("id").asText() + " was stored with status "
                        + f.path("status").asText() + ": " + f.path("status_details").asText("no details"));
            }
            return Exit.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List files (newest first).")
    static final class ListFiles extends ApiCommand {
        @Option(names = "--limit", description = "page size")
        Integer limit;
        @Option(names = "--after", description = "id to continue after")
        String after;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(BASE, page(after, limit));
            return show(r, () -> Render.table(out(), List.of("ID", "FILENAME", "BYTES", "ROWS", "STATUS", "CREATED"),
                    data(r.tree()).stream().map(f -> List.of(Render.text(f, "id"), Render.text(f, "filename"),
                            Render.text(f, "bytes"), Render.text(f, "rows"), Render.text(f, "status"),
                            Render.text(f, "created_at"))).toList()));
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a file.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "FILE_ID")
        String id;

        @Override
        public Integer call() {
            return showObject(api().get(path(BASE, id), Map.of()));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a file.")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "FILE_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().delete(path(BASE, id));
            return show(r, () -> out().println("deleted " + id));
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Download a file's bytes (sha256 checked against the file object and the response header).")
    static final class Download extends ApiCommand {
        @Parameters(paramLabel = "FILE_ID")
        String id;
        @Option(names = {"-o", "--output"}, description = "target path (default: the stored filename)")
        Path output;

        @Override
        public Integer call() {
            ApiClient api = api();
            JsonNode meta = api.get(path(BASE, id), Map.of()).tree();
            Path target = output != null ? output : Path.of(meta.path("filename").asText(id));
            ApiClient.Download d = api.download(path(BASE, id, "content"), Map.of(), target,
                    meta.path("sha256").asText(null));
            return AdaptersCommand.reportDownload(this, d);
        }
    }
}
