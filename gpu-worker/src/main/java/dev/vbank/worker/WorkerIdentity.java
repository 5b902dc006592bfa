package dev.vbank.worker;

import jakarta.enterprise.context.ApplicationScoped;

import java.net.InetAddress;
import java.util.UUID;

/** This worker instance's name: configured, or host name plus a random suffix (pods of one deployment share no id). */
@ApplicationScoped
public class WorkerIdentity {

    private final String id;

    public WorkerIdentity(WorkerConfig config) {
        this.id = config.id().filter(s -> !s.isBlank()).orElseGet(() -> host() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
    }

    public String id() {
        return id;
    }

    private static String host() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "worker";
        }
    }
}
