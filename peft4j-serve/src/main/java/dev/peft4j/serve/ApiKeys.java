package dev.peft4j.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The API keys, stored as SHA-256 digests only ({@code <state>/keys.json}: one admin digest and a map digest ->
 * tenant), so a copy of the state directory does not leak usable keys. A key is shown once, when it is created.
 * Lookups compare digests with {@link MessageDigest#isEqual} (constant time) rather than by map lookup on the
 * secret.
 */
public final class ApiKeys {

    /** The file in the state directory. */
    public static final String FILE = "keys.json";
    private static final String PREFIX = "pk-";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What keys.json holds. */
    record Stored(String admin, Map<String, String> tenants) {
    }

    private final Path file;
    private final SecureRandom random = new SecureRandom();
    private String adminHash;
    private final Map<String, String> tenantsByHash = new LinkedHashMap<>();

    private ApiKeys(Path file) {
        this.file = file;
    }

    /** The keys of {@code stateDir} (none yet when there is no keys.json). */
    public static ApiKeys open(Path stateDir) throws IOException {
        ApiKeys keys = new ApiKeys(stateDir.resolve(FILE));
        if (Files.isRegularFile(keys.file)) {
            Stored stored;
            try {
                stored = JSON.readValue(keys.file.toFile(), Stored.class);
            } catch (IOException e) {
                throw new IOException(keys.file + " is not a valid keys file (" + e.getMessage() + "); restore it "
                        + "from a backup, or delete it to start with no keys (a new admin key is printed)", e);
            }
            keys.adminHash = stored.admin();
            if (stored.tenants() != null) {
                keys.tenantsByHash.putAll(stored.tenants());
            }
        }
        return keys;
    }

    /** Whether an admin key exists. */
    public synchronized boolean hasAdmin() {
        return adminHash != null;
    }

    /**
     * Creates the admin key when there is none and returns it (the only time it is visible); null when one exists
     * already, so restarting never replaces the admin's key.
     */
    public synchronized String initAdmin() throws IOException {
        if (adminHash != null) {
            return null;
        }
        String key = newKey();
        adminHash = sha256(key);
        try {
            persist();
        } catch (IOException e) {
            adminHash = null;
            throw e;
        }
        return key;
    }

    /** A fresh key for {@code tenant}; only its digest is stored. A tenant may hold several keys. */
    public synchronized String createTenantKey(String tenant) throws IOException {
        Names.require("tenant", tenant);
        String key = newKey();
        String hash = sha256(key);
        tenantsByHash.put(hash, tenant);
        try {
            persist();
        } catch (IOException e) {
            tenantsByHash.remove(hash);
            throw e;
        }
        return key;
    }

    /** The tenant {@code key} belongs to, or null for an unknown key (or the admin key). */
    public synchronized String tenantOf(String key) {
        if (key == null) {
            return null;
        }
        byte[] digest = digest(key);
        String tenant = null;
        for (Map.Entry<String, String> entry : tenantsByHash.entrySet()) {
            if (MessageDigest.isEqual(digest, HexFormat.of().parseHex(entry.getKey()))) {
                tenant = entry.getValue(); // no early exit: the time does not depend on where the key is
            }
        }
        return tenant;
    }

    /** Whether {@code key} is the admin key. */
    public synchronized boolean isAdmin(String key) {
        return key != null && adminHash != null
                && MessageDigest.isEqual(digest(key), HexFormat.of().parseHex(adminHash));
    }

    private String newKey() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private void persist() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeString(file, JSON.writeValueAsString(new Stored(adminHash, tenantsByHash)));
    }

    static String sha256(String key) {
        return HexFormat.of().formatHex(digest(key));
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
