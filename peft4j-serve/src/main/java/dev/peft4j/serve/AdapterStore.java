package dev.peft4j.serve;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicDirectory;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.DirectoryManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The persistent registry of the tenants' adapters over one {@link ServedModel} (an encoder or a decoder): each
 * adapter's files under
 * {@code <state>/adapters/<tenant>/<name>} (replaced as a whole by {@link AtomicDirectory}), the list in
 * {@code <state>/registry.json} (rewritten atomically), and the loaded copy in the model. An install is checked
 * completely (manifest, strict load, the model's own check such as the label count) before anything that serves
 * requests changes, so a refused
 * adapter leaves nothing behind and a replaced one keeps serving until its successor is ready.
 */
public final class AdapterStore {

    /** The registry file in the state directory. */
    public static final String REGISTRY = "registry.json";
    private static final String ADAPTER_CONFIG = "adapter_config.json";
    private static final Logger LOG = Logger.getLogger(AdapterStore.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One registry entry, as registry.json stores it. */
    public record Entry(String tenant, String name, List<String> labels, String added) {
    }

    /** An installed adapter: its entry and the name it is loaded under in the model. */
    public record Installed(Entry entry, String internalName) {

        /** {@code tenant/name}: stable across replacements, unlike the internal name. */
        public String key() {
            return entry.tenant() + "/" + entry.name();
        }
    }

    private final Path stateDir;
    private final ServedModel model;
    private final Map<String, Installed> installed = new ConcurrentHashMap<>(); // key: tenant/name
    /** Entries that failed to restore: kept in registry.json until replaced or deleted. */
    private final Map<String, Entry> skippedEntries = new ConcurrentHashMap<>();
    private final Object writes = new Object(); // one install or delete at a time

    /** The store of {@code stateDir} over {@code model} (a {@link ServedEncoder} or a {@link ServedDecoder}). */
    public AdapterStore(Path stateDir, ServedModel model) {
        this.stateDir = stateDir;
        this.model = model;
    }

    /** The served base, encoder or decoder. */
    public ServedModel served() {
        return model;
    }

    /**
     * The served encoder, for callers that know this store serves one (the encoder-only API kept from before
     * decoders were served); on a decoder's store an {@link IllegalStateException} saying to use {@link #served()}.
     */
    public ServedEncoder model() {
        if (model instanceof ServedEncoder encoder) {
            return encoder;
        }
        throw new IllegalStateException("This store serves the decoder '" + model.baseId() + "', not an encoder; "
                + "use served() (or decoder())");
    }

    /** The served decoder; on an encoder's store an {@link IllegalStateException} saying to use {@link #served()}. */
    public ServedDecoder decoder() {
        if (model instanceof ServedDecoder decoder) {
            return decoder;
        }
        throw new IllegalStateException("This store serves the encoder '" + model.baseId() + "', not a decoder; "
                + "use served() (or model())");
    }

    /** The state directory (keys, registry, adapters, staging). */
    public Path stateDir() {
        return stateDir;
    }

    /** What {@link #restore} could not load: the adapter and why. */
    public record Skipped(String tenant, String name, String reason) {
    }

    /**
     * Loads every registry entry; an adapter whose files fail to load is logged, returned and skipped (it stays in
     * the registry so that fixing its files and restarting brings it back), the others load. Call it before the
     * server starts: it also clears {@code staging/} of what installs interrupted by a crash left there.
     */
    public List<Skipped> restore() throws IOException {
        List<Skipped> skipped = new ArrayList<>();
        deleteTree(stateDir.resolve("staging")); // copies and uploads of installs a crash interrupted
        Path file = stateDir.resolve(REGISTRY);
        if (!Files.isRegularFile(file)) {
            return skipped;
        }
        List<Entry> entries;
        try {
            entries = JSON.readValue(file.toFile(), new TypeReference<List<Entry>>() { });
        } catch (IOException e) {
            throw new IOException(file + " is not a valid adapter registry (" + e.getMessage() + "); restore it "
                    + "from a backup, or delete it and install the adapters again", e);
        }
        synchronized (writes) {
            for (Entry entry : entries) {
                String key = entry.tenant() + "/" + entry.name();
                try {
                    Path dir = AtomicDirectory.openForRead(adapterDir(entry.tenant(), entry.name()));
                    model.load(dir, key);
                    installed.put(key, new Installed(entry, key));
                } catch (IOException | RuntimeException e) {
                    LOG.warning("Adapter " + key + " is in the registry but failed to load, skipped: "
                            + e.getMessage());
                    skipped.add(new Skipped(entry.tenant(), entry.name(), e.getMessage()));
                    skippedEntries.put(key, entry);
                }
            }
        }
        return skipped;
    }

    /**
     * Installs (or replaces) {@code tenant}'s adapter {@code name} from a directory written by
     * {@code PeftModel.save} (with {@code training_args.json} for label names, optional). Refuses a directory that
     * fails the strict load (fingerprint, shapes, non-finite values, manifest digests) with a 422 naming the
     * problem, and one the model's own check refuses (an encoder's: the label count differs from the served head's).
     */
    public Entry put(String tenant, String name, Path source) throws IOException {
        Names.require("tenant", tenant);
        Names.require("adapter", name);
        if (source == null || !Files.isDirectory(source)) {
            throw ServeException.invalid("invalid_path", "Expected 'path' to be an adapter directory readable by "
                    + "the server, found " + (source == null ? "none" : "'" + source + "' (not a directory)"));
        }
        if (!Files.isRegularFile(source.resolve(ADAPTER_CONFIG))) {
            throw ServeException.invalid("invalid_path", "Expected an adapter directory with " + ADAPTER_CONFIG
                    + " (as PeftModel.save or 'peft4j train' writes it), found none in '" + source + "'");
        }
        String key = tenant + "/" + name;
        synchronized (writes) {
            Path staging = stateDir.resolve("staging").resolve(UUID.randomUUID().toString());
            String pending = key + "#" + UUID.randomUUID().toString().substring(0, 8);
            boolean loaded = false;
            try {
                Path src = AtomicDirectory.openForRead(source);
                Files.createDirectories(staging.getParent());
                AtomicDirectory.replace(staging, fresh -> copyFiles(src, fresh));
                List<String> labels = model.labels(staging);
                // a first install loads under tenant/name; a replacement under a pending name beside the old one
                String internal = model.loaded().contains(key) ? pending : key;
                model.load(staging, internal);
                pending = internal;
                loaded = true;
                Entry entry = new Entry(tenant, name, labels, Instant.now().toString());
                Path target = adapterDir(tenant, name);
                Files.createDirectories(target.getParent());
                AtomicDirectory.replace(target, fresh -> copyFiles(staging, fresh));
                Installed previous = installed.put(key, new Installed(entry, pending));
                skippedEntries.remove(key);
                loaded = false; // now owned by the registry
                if (previous != null) {
                    model.delete(previous.internalName());
                }
                writeRegistry();
                return entry;
            } catch (AdapterFormatException e) {
                throw new ServeException(422, "invalid_request_error", "invalid_adapter",
                        "Adapter " + key + " was refused: " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new ServeException(422, "invalid_request_error", "invalid_adapter",
                        "Adapter " + key + " was refused: " + e.getMessage(), e);
            } finally {
                if (loaded) {
                    model.delete(pending);
                }
                deleteTree(staging);
            }
        }
    }

    /** Removes {@code tenant}'s adapter {@code name}: from the model, the registry and the disk. */
    public boolean delete(String tenant, String name) throws IOException {
        Names.require("tenant", tenant);
        Names.require("adapter", name);
        String key = tenant + "/" + name;
        synchronized (writes) {
            Installed removed = installed.remove(key);
            Entry skipped = skippedEntries.remove(key);
            if (removed == null && skipped == null) {
                return false;
            }
            if (removed != null) {
                model.delete(removed.internalName());
            }
            writeRegistry();
            deleteTree(adapterDir(tenant, name));
            return true;
        }
    }

    /** {@code tenant}'s adapter {@code name}, or null when that tenant has none by that name. */
    public Installed find(String tenant, String name) {
        return installed.get(tenant + "/" + name);
    }

    /**
     * {@code tenant}'s adapter {@code model} as a request names it; otherwise the missing-model 404, the very same
     * for an invalid name, a missing adapter and another tenant's, so no tenant learns what others have.
     */
    public Installed forTenant(String tenant, String model) {
        Installed adapter;
        try {
            adapter = find(tenant, Names.require("adapter", model));
        } catch (ServeException invalidName) {
            adapter = null;
        }
        if (adapter == null) {
            throw ServeException.modelNotFound(model);
        }
        return adapter;
    }

    /** The name {@code key} ({@code tenant/name}) is loaded under now, or null when it is not installed. */
    public String loadedName(String key) {
        Installed adapter = installed.get(key);
        return adapter == null ? null : adapter.internalName();
    }

    /** {@code tenant}'s adapters, by name. */
    public List<Entry> list(String tenant) {
        return installed.values().stream().map(Installed::entry).filter(e -> e.tenant().equals(tenant))
                .sorted(Comparator.comparing(Entry::name)).toList();
    }

    /** How many adapters are installed, all tenants together. */
    public int size() {
        return installed.size();
    }

    private Path adapterDir(String tenant, String name) {
        return stateDir.resolve("adapters").resolve(tenant).resolve(name);
    }

    private void writeRegistry() throws IOException {
        Map<String, Entry> all = new TreeMap<>();
        skippedEntries.forEach(all::put);
        installed.forEach((key, value) -> all.put(key, value.entry()));
        Files.createDirectories(stateDir);
        AtomicFiles.writeString(stateDir.resolve(REGISTRY), JSON.writeValueAsString(new ArrayList<>(all.values())));
    }

    /** The plain files of an adapter directory, without its manifest (the copy gets its own). */
    private static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.sorted().toList()) {
                String fileName = file.getFileName().toString();
                if (Files.isRegularFile(file) && !fileName.equals(DirectoryManifest.FILE_NAME)) {
                    Files.copy(file, to.resolve(fileName));
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
