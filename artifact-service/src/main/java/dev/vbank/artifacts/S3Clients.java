package dev.vbank.artifacts;

import io.minio.MinioClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Duration;

@ApplicationScoped
public class S3Clients {

    @Produces
    @Singleton
    MinioClient minioClient(S3Config config) {
        return create(config, config.connectTimeout(), config.transferTimeout());
    }

    // a MinioClient owns an OkHttp dispatcher whose threads otherwise linger after shutdown
    void close(@Disposes MinioClient client) throws Exception {
        client.close();
    }

    static MinioClient create(S3Config config, Duration connectTimeout, Duration transferTimeout) {
        MinioClient client = MinioClient.builder()
                .endpoint(config.endpoint())
                .region(config.region())
                .credentials(config.accessKey(), config.secretKey())
                .build();
        client.setTimeout(connectTimeout.toMillis(), transferTimeout.toMillis(), transferTimeout.toMillis());
        return client;
    }
}
