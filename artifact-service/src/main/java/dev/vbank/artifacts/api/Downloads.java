package dev.vbank.artifacts.api;

import dev.vbank.artifacts.store.Spool;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import java.nio.file.Files;

/** Serves a verified temporary file and deletes it once written (or if writing fails). */
public final class Downloads {
    public static final String SHA_HEADER = "X-Vbank-Sha256";

    private Downloads() {
    }

    public static Response of(Spool verified, String contentType, String filename) {
        StreamingOutput body = out -> {
            try (verified) {
                Files.copy(verified.file(), out);
            }
        };
        Response.ResponseBuilder r = Response.ok(body, contentType)
                .header(SHA_HEADER, verified.sha256())
                .header("Content-Length", verified.bytes());
        if (filename != null) {
            r.header("Content-Disposition", "attachment; filename=\"" + filename.replace("\"", "") + "\"");
        }
        return r.build();
    }

    /** Bytes built in memory (PEFT zip, merged weights) with their sha256. */
    public static Response of(byte[] bytes, String contentType, String filename) {
        java.security.MessageDigest sha = Spool.digest();
        return Response.ok(bytes, contentType)
                .header(SHA_HEADER, java.util.HexFormat.of().formatHex(sha.digest(bytes)))
                .header("Content-Disposition", "attachment; filename=\"" + filename + "\"")
                .build();
    }
}
