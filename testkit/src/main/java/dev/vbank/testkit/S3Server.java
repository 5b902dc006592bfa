package dev.vbank.testkit;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.reference.FilesystemConstants;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;

/**
 * An S3-compatible endpoint (s3proxy on Jetty) inside this JVM, backed by a jclouds filesystem blob store when
 * given a base directory (objects survive a restart) or by an in-memory store otherwise. Bucket {@value #BUCKET}
 * is created at start. Clients must use path-style requests and region {@value #REGION}.
 */
public final class S3Server implements AutoCloseable {

    public static final String BUCKET = "vbank";
    public static final String REGION = "us-east-1";
    public static final String DEFAULT_ACCESS_KEY = "vbank";
    public static final String DEFAULT_SECRET_KEY = "vbank-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final Path baseDir;
    private final String endpoint;
    private final String accessKey;
    private final String secretKey;

    private S3Server(S3Proxy proxy, BlobStoreContext context, Path baseDir, String endpoint, String accessKey,
                     String secretKey) {
        this.proxy = proxy;
        this.context = context;
        this.baseDir = baseDir;
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** An in-memory store on a free port with the default keys. */
    public static S3Server start() {
        return start(null, 0, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY);
    }

    /**
     * @param baseDir persistent directory for buckets and objects; {@code null} for an in-memory store
     * @param port    fixed port, or 0 for a free one
     */
    public static S3Server start(Path baseDir, int port, String accessKey, String secretKey) {
        return OwnClassLoader.call(() -> doStart(baseDir, port, accessKey, secretKey));
    }

    private static S3Server doStart(Path baseDir, int port, String accessKey, String secretKey) {
        if (accessKey == null || accessKey.isBlank() || secretKey == null || secretKey.isBlank()) {
            throw new IllegalArgumentException("S3 access key and secret key must not be blank");
        }
        int actualPort = Ports.orFree(port);
        Path dir = baseDir == null ? null : Dirs.createPersistent(baseDir);
        BlobStoreContext context = blobStoreContext(dir, accessKey, secretKey);
        String endpoint = "http://127.0.0.1:" + actualPort;
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create(endpoint))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        S3Server server = new S3Server(proxy, context, dir, endpoint, accessKey, secretKey);
        try {
            proxy.start();
            server.awaitStarted();
            server.createBucketIfMissing(BUCKET);
        } catch (Exception e) {
            server.close();
            throw new IllegalStateException("S3 endpoint did not start on " + endpoint
                    + (dir != null ? " with base dir " + dir : ""), e);
        }
        return server;
    }

    private static BlobStoreContext blobStoreContext(Path dir, String accessKey, String secretKey) {
        Properties overrides = new Properties();
        String provider = "transient";
        if (dir != null) {
            provider = "filesystem";
            overrides.setProperty(FilesystemConstants.PROPERTY_BASEDIR, dir.toString());
        }
        return ContextBuilder.newBuilder(provider)
                .credentials(accessKey, secretKey)
                .overrides(overrides)
                .build(BlobStoreContext.class);
    }

    private void awaitStarted() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline || "FAILED".equals(proxy.getState())) {
                throw new IllegalStateException("s3proxy state " + proxy.getState());
            }
            Thread.sleep(20);
        }
    }

    /** Creates the bucket through the S3 API when it does not exist yet. */
    public void createBucketIfMissing(String bucket) throws Exception {
        try (MinioClient client = client()) {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).region(REGION).build());
            }
        }
    }

    /** A new client for this endpoint; the caller must close it, its HTTP threads otherwise keep the JVM alive. */
    public MinioClient client() {
        return MinioClient.builder()
                .endpoint(endpoint)
                .region(REGION)
                .credentials(accessKey, secretKey)
                .build();
    }

    public String endpoint() {
        return endpoint;
    }

    public int port() {
        return URI.create(endpoint).getPort();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String bucket() {
        return BUCKET;
    }

    /** The persistent base directory, or {@code null} when in memory. */
    public Path baseDir() {
        return baseDir;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy on " + endpoint + " did not stop cleanly", e);
        } finally {
            context.close();
        }
    }

    @Override
    public String toString() {
        return "S3Server[" + endpoint + (baseDir != null ? ", " + baseDir : ", in memory") + "]";
    }
}
