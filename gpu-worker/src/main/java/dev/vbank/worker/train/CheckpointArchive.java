package dev.vbank.worker.train;

import dev.vbank.text.train.Checkpoint;
import dev.vbank.worker.JobFailure;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** A checkpoint directory (flat: safetensors + trainer_state.json) as one zip, the body of a checkpoint upload. */
public final class CheckpointArchive {

    static final Set<String> NAMES = Set.of(Checkpoint.MODEL, Checkpoint.OPTIMIZER, Checkpoint.BEST, Checkpoint.STATE);

    private CheckpointArchive() {
    }

    public static void zip(Path dir, Path zip) throws IOException {
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out);
             DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (Files.isRegularFile(f)) {
                    z.putNextEntry(new ZipEntry(f.getFileName().toString()));
                    Files.copy(f, z);
                    z.closeEntry();
                }
            }
        }
    }

    /** Unpacks into {@code dir}; only the checkpoint's own file names, at most {@code maxBytes} in all. */
    public static void unzip(Path zip, Path dir, long maxBytes) throws IOException {
        Files.createDirectories(dir);
        long total = 0;
        try (InputStream in = Files.newInputStream(zip); ZipInputStream z = new ZipInputStream(in)) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                if (e.isDirectory() || !NAMES.contains(e.getName())) {
                    throw new JobFailure("invalid_checkpoint", "checkpoint archive holds an unexpected entry '"
                            + e.getName() + "'", null);
                }
                try (OutputStream out = Files.newOutputStream(dir.resolve(e.getName()))) {
                    byte[] buf = new byte[1 << 16];
                    for (int r; (r = z.read(buf)) >= 0; ) {
                        total += r;
                        if (total > maxBytes) {
                            throw new JobFailure("invalid_checkpoint", "checkpoint archive unpacks to more than "
                                    + maxBytes + " bytes", null);
                        }
                        out.write(buf, 0, r);
                    }
                }
            }
        }
        if (!Files.isRegularFile(dir.resolve(Checkpoint.STATE))) {
            throw new JobFailure("invalid_checkpoint", "checkpoint archive has no " + Checkpoint.STATE, null);
        }
    }
}
