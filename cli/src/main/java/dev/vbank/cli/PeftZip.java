package dev.vbank.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The bytes {@code POST /v1/adapters} takes: a zip as it is, or a PEFT directory's files zipped. */
final class PeftZip {
    static final List<String> FILES = List.of("adapter_config.json", "adapter_model.safetensors", "vbank_head.safetensors");

    private PeftZip() {
    }

    static byte[] of(Path path) {
        try {
            if (Files.isRegularFile(path)) {
                return Files.readAllBytes(path);
            }
            if (!Files.isDirectory(path)) {
                throw CliException.usage(path + ": no such file or directory");
            }
            if (!Files.isRegularFile(path.resolve(FILES.get(0))) || !Files.isRegularFile(path.resolve(FILES.get(1)))) {
                throw CliException.usage(path + " is not a PEFT adapter directory: it needs " + FILES.get(0) + " and "
                        + FILES.get(1));
            }
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(bos); Stream<Path> files = Files.list(path)) {
                for (Path f : files.filter(p -> FILES.contains(p.getFileName().toString())).sorted().toList()) {
                    zip.putNextEntry(new ZipEntry(f.getFileName().toString()));
                    Files.copy(f, zip);
                    zip.closeEntry();
                }
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new CliException(Exit.USAGE, "cannot read " + path + ": " + e.getMessage());
        }
    }
}
