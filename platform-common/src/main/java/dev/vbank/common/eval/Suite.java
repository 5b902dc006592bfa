package dev.vbank.common.eval;

import java.util.List;

/**
 * A named, versioned set of tasks. Built-in suites have a null {@code tenantId}; a tenant's suite of the same name as an
 * existing one of that tenant becomes its next version. A version never changes once written.
 */
public record Suite(String id, String tenantId, String name, int version, String description, List<SuiteTask> tasks) {

    public Suite {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
    }
}
