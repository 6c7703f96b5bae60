package dev.peft4j.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@value #FILE_NAME}: the SHA-256 of every regular file of a directory written through {@link AtomicDirectory},
 * written last, so that a loader can tell a complete, untouched directory from a damaged or edited one.
 *
 * <p>Layout: {@code {"format": "peft4j-manifest/1", "sha256": {"adapter_config.json": "<64 hex>", ...}}}. Only the
 * files listed belong to the directory's content; other entries (another adapter's sub-folder) are not covered.
 */
public final class DirectoryManifest {

    /** The manifest's name in the directory. */
    public static final String FILE_NAME = "peft4j_manifest.json";
    static final String FORMAT = "peft4j-manifest/1";
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final int BUFFER_BYTES = 1 << 16;

    private DirectoryManifest() {
    }

    /** Writes the manifest of every regular file now in {@code dir} (the manifest itself excepted), atomically. */
    static void write(Path dir) throws IOException {
        Map<String, String> digests = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Files.isRegularFile(entry) && !name.equals(FILE_NAME) && !name.startsWith(".")) {
                    digests.put(name, sha256(entry));
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode files = root.putObject("sha256");
        digests.forEach(files::put);
        AtomicFiles.writeString(dir.resolve(FILE_NAME), JSON.writeValueAsString(root));
    }

    /** Whether {@code dir} has a manifest (directories written before manifests existed have none). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE_NAME));
    }

    /**
     * The file names and digests that {@code dir}'s manifest lists; a manifest that is not one peft4j wrote is an
     * {@link AdapterFormatException} naming it.
     */
    static Map<String, String> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        String fix = "the manifest is damaged; restore the directory from a copy or write it again";
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new AdapterFormatException(file, "(whole file)", "JSON written by peft4j", e.getMessage(), fix, e);
        }
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
            throw new AdapterFormatException(file, "format", "\"" + FORMAT + "\"",
                    root == null ? "an empty file" : String.valueOf(root.get("format")), fix);
        }
        JsonNode files = root.get("sha256");
        if (files == null || !files.isObject()) {
            throw new AdapterFormatException(file, "sha256", "an object of file name to SHA-256",
                    String.valueOf(files), fix);
        }
        Map<String, String> digests = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            JsonNode digest = entry.getValue();
            if (!isPlainName(name)) {
                throw new AdapterFormatException(file, "sha256." + name, "a file name inside the directory",
                        "\"" + name + "\"", fix);
            }
            if (!digest.isTextual() || !HEX_SHA256.matcher(digest.textValue()).matches()) {
                throw new AdapterFormatException(file, "sha256." + name, "64 lower-case hex digits",
                        digest.toString(), fix);
            }
            digests.put(name, digest.textValue());
        }
        return digests;
    }

    /**
     * Checks every file {@code dir}'s manifest names against its digest; no manifest, no check (directories saved
     * before manifests existed still load). A missing or changed file is an {@link AdapterFormatException} naming it.
     */
    public static void verify(Path dir) throws IOException {
        if (!exists(dir)) {
            return;
        }
        for (Map.Entry<String, String> entry : read(dir).entrySet()) {
            Path file = dir.resolve(entry.getKey());
            if (!Files.isRegularFile(file)) {
                throw new AdapterFormatException(file, entry.getKey(), "the file listed in " + FILE_NAME,
                        "no such file", "the directory is incomplete; restore it from a copy or write it again");
            }
            String actual = sha256(file);
            if (!actual.equals(entry.getValue())) {
                throw new AdapterFormatException(file, entry.getKey(), "SHA-256 " + entry.getValue() + " (as "
                        + FILE_NAME + " records)", "SHA-256 " + actual, "the file was saved incompletely or changed "
                                + "after saving; restore it from a copy or write the directory again");
            }
        }
    }

    /** SHA-256 of a file's bytes, hex, read in chunks (merged models are hundreds of MB). */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[BUFFER_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of bytes in memory, hex. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newDigest().digest(bytes));
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    private static boolean isPlainName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }
}
