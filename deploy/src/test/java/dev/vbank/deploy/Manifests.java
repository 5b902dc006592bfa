package dev.vbank.deploy;

import org.w3c.dom.Element;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Everything the consistency check looks at, loaded from the repository into plain maps and lists (so that tests can
 * break a copy on purpose): the services' HTTP ports from their application.properties, the Kubernetes documents,
 * the compose file, the launcher's port table and the project version.
 */
final class Manifests {

    static final List<String> SERVICES = List.of("api-gateway", "job-scheduler", "gpu-worker", "artifact-service",
            "inference-service");

    /** One Kubernetes document and the file it came from. */
    record K8sDoc(String file, Map<String, Object> doc) {
        String kind() {
            return String.valueOf(doc.get("kind"));
        }

        String name() {
            Object metadata = doc.get("metadata");
            return metadata instanceof Map<?, ?> m ? String.valueOf(m.get("name")) : "null";
        }

        @Override
        public String toString() {
            return kind() + " " + name() + " (" + file + ")";
        }
    }

    final Map<String, Integer> servicePorts = new LinkedHashMap<>();
    /** Env variables each service's application.properties needs without a default: {@code ${NAME}}. */
    final Map<String, Set<String>> requiredEnv = new LinkedHashMap<>();
    final List<K8sDoc> k8s = new ArrayList<>();
    Map<String, Object> compose;
    Map<String, Object> kustomization;
    List<String> k8sFiles = new ArrayList<>();
    Map<String, Integer> launcherPorts = new LinkedHashMap<>();
    /** PostgreSQL, Kafka, S3 -> host port of the local platform. */
    Map<String, Integer> launcherInfraPorts = new LinkedHashMap<>();
    String projectVersion;
    /** What the build's {@code images} profile names the service images: group and tag (see the root pom). */
    Map<String, String> imageBuild = new LinkedHashMap<>();

    private static final Pattern ENV_WITHOUT_DEFAULT = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)}");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{[^:}]+:([^}]*)}");
    private static final Pattern LOCAL_ADDRESS = Pattern.compile("//(localhost|127\\.0\\.0\\.1)[:/]|^(localhost|127\\.0\\.0\\.1):");
    private static final Pattern LAUNCHER_PORT = Pattern.compile("\\[([A-Za-z0-9-]+)]=(\\d+)");

    static Path repoRoot() {
        String configured = System.getProperty("vbank.repo.root");
        if (configured != null && Files.isDirectory(Path.of(configured, "deploy", "k8s"))) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy").resolve("k8s"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (a folder with deploy/k8s) from "
                + Path.of("").toAbsolutePath() + "; set -Dvbank.repo.root");
    }

    static Manifests load(Path root) throws IOException {
        return load(root, null);
    }

    /**
     * @param fixedPorts when not null, the services' ports to use instead of reading their application.properties
     *                   (for tests of the checker itself, which must not depend on the services' current state)
     */
    static Manifests load(Path root, Map<String, Integer> fixedPorts) throws IOException {
        Manifests m = new Manifests();
        for (String service : SERVICES) {
            if (fixedPorts != null) {
                m.servicePorts.put(service, fixedPorts.get(service));
                m.requiredEnv.put(service, new TreeSet<>());
                continue;
            }
            Path file = root.resolve(service).resolve("src/main/resources/application.properties");
            Properties props = readProperties(file);
            m.servicePorts.put(service, httpPort(file, props));
            Set<String> env = new TreeSet<>();
            for (String key : props.stringPropertyNames()) {
                if (key.startsWith("%")) {
                    continue; // profile-specific (%dev, %test) values do not apply to deployed images
                }
                String value = props.getProperty(key);
                Matcher matcher = ENV_WITHOUT_DEFAULT.matcher(value);
                while (matcher.find()) {
                    env.add(matcher.group(1));
                }
                if (LOCAL_ADDRESS.matcher(value).find()) {
                    // a local-platform default (jdbc:...localhost:54320, http://localhost:8083): in a cluster the
                    // descriptors must override it through the property's env variable
                    env.add(envName(key));
                }
            }
            m.requiredEnv.put(service, env);
        }

        Path k8sDir = root.resolve("deploy/k8s");
        try (Stream<Path> files = Files.list(k8sDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.equals("kustomization.yaml") || name.equals("kustomization.yml")) {
                    m.kustomization = loadOne(file);
                    continue;
                }
                m.k8sFiles.add(name);
                for (Object doc : yaml().loadAll(Files.readString(file, StandardCharsets.UTF_8))) {
                    if (doc == null) {
                        continue;
                    }
                    if (!(doc instanceof Map<?, ?>)) {
                        throw new IllegalStateException(file + ": a document is not a mapping");
                    }
                    m.k8s.add(new K8sDoc(name, cast(doc)));
                }
            }
        }
        m.compose = loadOne(root.resolve("deploy/compose/compose.yaml"));

        String launcher = Files.readString(root.resolve("deploy/bin/vbank-local"), StandardCharsets.UTF_8);
        String portLine = launcher.lines().filter(l -> l.startsWith("declare -A PORT=")).findFirst()
                .orElseThrow(() -> new IllegalStateException("deploy/bin/vbank-local has no 'declare -A PORT=(...)' line"));
        Matcher pm = LAUNCHER_PORT.matcher(portLine);
        while (pm.find()) {
            m.launcherPorts.put(pm.group(1), Integer.parseInt(pm.group(2)));
        }
        String infraLine = launcher.lines().filter(l -> l.startsWith("declare -A INFRA_PORT=")).findFirst()
                .orElseThrow(() -> new IllegalStateException("deploy/bin/vbank-local has no 'declare -A INFRA_PORT=(...)' line"));
        Matcher im = LAUNCHER_PORT.matcher(infraLine);
        while (im.find()) {
            m.launcherInfraPorts.put(im.group(1), Integer.parseInt(im.group(2)));
        }
        m.projectVersion = projectVersion(root.resolve("pom.xml"));
        m.imageBuild = imageBuild(root.resolve("pom.xml"));
        return m;
    }

    /** The environment variable MicroProfile Config maps to a property: {@code vbank.s3.endpoint -> VBANK_S3_ENDPOINT}. */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
    }

    static Properties readProperties(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("missing " + file + ": every service must declare quarkus.http.port there"
                    + " (the manifests are checked against it)");
        }
        Properties props = new Properties();
        props.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        return props;
    }

    static int httpPort(Path file, Properties props) {
        String raw = props.getProperty("quarkus.http.port");
        if (raw == null || raw.isBlank()) {
            throw new IllegalStateException(file + " has no quarkus.http.port; the deploy manifests need the"
                    + " service's port declared there");
        }
        String value = raw.trim();
        Matcher placeholder = PLACEHOLDER.matcher(value);
        if (placeholder.matches()) {
            value = placeholder.group(1).trim(); // ${QUARKUS_HTTP_PORT:8081} -> its default
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + ": quarkus.http.port is '" + raw + "', not a port number", e);
        }
    }

    private static Map<String, String> imageBuild(Path pom) throws IOException {
        String text = Files.readString(pom, StandardCharsets.UTF_8);
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : List.of("quarkus.container-image.group", "quarkus.container-image.tag", "vbank.image.tag")) {
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("<" + java.util.regex.Pattern.quote(name)
                    + ">([^<]*)</").matcher(text);
            if (mm.find()) {
                out.put(name, mm.group(1).trim());
            }
        }
        String tag = out.getOrDefault("quarkus.container-image.tag", "");
        if (tag.equals("${vbank.image.tag}") && out.containsKey("vbank.image.tag")) {
            out.put("quarkus.container-image.tag", out.get("vbank.image.tag"));
        }
        return out;
    }

    private static String projectVersion(Path pom) throws IOException {
        try {
            var factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Element project = factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
            for (var n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals("version")) {
                    return e.getTextContent().trim();
                }
            }
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IOException("cannot read " + pom, e);
        }
        throw new IllegalStateException(pom + " has no <version>");
    }

    private static Map<String, Object> loadOne(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("missing " + file);
        }
        Object doc = yaml().load(Files.readString(file, StandardCharsets.UTF_8));
        if (!(doc instanceof Map<?, ?>)) {
            throw new IllegalStateException(file + " is not a YAML mapping");
        }
        return cast(doc);
    }

    static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }
}
