package dev.vbank.artifacts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Uploaded dataset files ({@code vbank.files.*}). */
@ConfigMapping(prefix = "vbank.files")
public interface FilesConfig {

    /** Size cap of one uploaded file; larger bodies are refused with 413 and nothing is stored. */
    @WithDefault("268435456")
    long maxBytes();

    @WithDefault("1000000")
    long maxRows();

    @WithDefault("100000")
    int maxTextChars();

    /** Row errors listed in status_details before the rest are only counted. */
    @WithDefault("20")
    int maxErrors();
}
