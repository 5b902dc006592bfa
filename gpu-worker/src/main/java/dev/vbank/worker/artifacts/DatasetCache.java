package dev.vbank.worker.artifacts;

import dev.vbank.text.data.DataFormat;
import dev.vbank.text.data.DatasetException;
import dev.vbank.text.data.DatasetLimits;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.RawDataset;
import dev.vbank.worker.JobFailure;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Training files on local disk, named by their sha256: a file used by several jobs (or attempts) is downloaded once.
 * A cached copy is re-hashed before use, so a damaged cache entry is fetched again instead of trained on.
 */
public final class DatasetCache {

    private static final Logger LOG = Logger.getLogger(DatasetCache.class);
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    /** A local copy of a platform file, with the name it was uploaded under (its extension gives the format). */
    public record LocalFile(String fileId, String filename, Path path, String sha256, boolean downloaded) {
    }

    private final ArtifactClient artifacts;
    private final Path dir;
    private final long maxBytes;

    public DatasetCache(ArtifactClient artifacts, Path dir, long maxBytes) {
        this.artifacts = artifacts;
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** The rows of a downloaded file; a file the reader rejects fails the job with {@code invalid_file}. */
    public RawDataset read(LocalFile f, String param) {
        DataFormat format;
        try {
            format = DataFormat.of(Path.of(f.filename().isEmpty() ? f.fileId() : f.filename()));
        } catch (IllegalArgumentException e) {
            throw new JobFailure("invalid_file", "file " + f.fileId() + " (" + f.filename()
                    + ") is neither .jsonl nor .csv", param);
        }
        try (var in = Files.newInputStream(f.path())) {
            return DatasetReader.read(in, f.filename(), format, new DatasetLimits(DatasetLimits.DEFAULT.maxRows(),
                    maxBytes, DatasetLimits.DEFAULT.maxTextChars(), DatasetLimits.DEFAULT.maxErrors()));
        } catch (DatasetException e) {
            throw new JobFailure("invalid_file", "file " + f.fileId() + ": " + e.getMessage(), param, e);
        } catch (IOException e) {
            throw new JobFailure("invalid_file", "file " + f.fileId() + " is unreadable: " + e.getMessage(), param, e);
        }
    }

    public LocalFile get(String tenant, String fileId, String param) {
        ArtifactClient.FileInfo info = artifacts.file(tenant, fileId);
        if (!"processed".equals(info.status())) {
            throw new JobFailure("invalid_file", "file " + fileId + " is " + (info.status().isEmpty() ? "not processed"
                    : info.status()) + (info.statusDetails() != null ? ": " + info.statusDetails() : ""), param);
        }
        String sha = info.sha256().toLowerCase(Locale.ROOT);
        if (!SHA.matcher(sha).matches()) {
            throw new ArtifactClient.ArtifactException("file " + fileId + " has no valid sha256 in its metadata: "
                    + info.sha256());
        }
        try {
            Files.createDirectories(dir);
            Path cached = dir.resolve(sha);
            if (Files.isRegularFile(cached)) {
                if (ArtifactClient.sha256(cached).equals(sha)) {
                    return new LocalFile(fileId, info.filename(), cached, sha, false);
                }
                LOG.warnf("cached %s does not hash to its name; downloading %s again", cached, fileId);
                Files.delete(cached);
            }
            ArtifactClient.Download d = artifacts.fileContent(tenant, fileId, cached, maxBytes);
            if (!d.sha256().equals(sha)) {
                Files.deleteIfExists(cached);
                throw new JobFailure("file_corrupted", "file " + fileId + " downloaded with sha256 " + d.sha256()
                        + " but its metadata says " + sha, param);
            }
            return new LocalFile(fileId, info.filename(), cached, sha, true);
        } catch (IOException e) {
            throw new UncheckedIOException("dataset cache " + dir + ": " + e.getMessage(), e);
        }
    }
}
