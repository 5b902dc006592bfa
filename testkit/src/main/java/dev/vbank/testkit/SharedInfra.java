package dev.vbank.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * One temporary server of each kind per JVM (per class loader, strictly), started on first use and stopped when
 * the JVM exits, so that test classes in a module do not each pay for their own PostgreSQL, Kafka and S3.
 */
public final class SharedInfra {

    private static PostgresServer postgres;
    private static KafkaServer kafka;
    private static S3Server s3;
    private static final List<AutoCloseable> STARTED = Collections.synchronizedList(new ArrayList<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(SharedInfra::closeAll, "vbank-testkit-shutdown"));
    }

    private SharedInfra() {
    }

    public static synchronized PostgresServer postgres() {
        if (postgres == null) {
            postgres = started(PostgresServer::start);
        }
        return postgres;
    }

    public static synchronized KafkaServer kafka() {
        if (kafka == null) {
            kafka = started(KafkaServer::start);
        }
        return kafka;
    }

    public static synchronized S3Server s3() {
        if (s3 == null) {
            s3 = started(S3Server::start);
        }
        return s3;
    }

    private static <T extends AutoCloseable> T started(Supplier<T> starter) {
        T server = starter.get();
        STARTED.add(server);
        return server;
    }

    private static void closeAll() {
        List<AutoCloseable> servers;
        synchronized (STARTED) {
            servers = new ArrayList<>(STARTED);
        }
        Collections.reverse(servers);
        for (AutoCloseable server : servers) {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("vbank testkit: " + server + " did not stop cleanly: " + e);
            }
        }
    }
}
