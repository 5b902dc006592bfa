package dev.vbank.service.rest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The few words of an error answer that differ between the services. */
@ConfigMapping(prefix = "vbank.errors")
public interface ErrorsConfig {

    /** What the service calls its database in the 503 answered while it is down, e.g. "the job database". */
    @WithDefault("the database")
    String database();

    /** Code of the 503 answered while the database is down. */
    @WithDefault("unavailable")
    String unavailableCode();

    /** Code of a 413 raised by the HTTP layer (a body over {@code quarkus.http.limits.max-body-size}). */
    @WithDefault("too_large")
    String tooLargeCode();
}
