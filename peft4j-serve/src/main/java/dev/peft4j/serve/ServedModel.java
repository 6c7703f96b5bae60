package dev.peft4j.serve;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What the {@link AdapterStore} needs of the one base a server serves, whether an encoder ({@link ServedEncoder}:
 * classify, embed) or a decoder ({@link ServedDecoder}: complete): strict loading and freeing of adapters under
 * internal names, the names loaded, and the check of an adapter's own metadata against the base. Loads and deletes
 * must not race the forwards that read the adapters (implementations take a write lock).
 */
public interface ServedModel extends AutoCloseable {

    /** The base's id as the server was started with it (a model id or a directory). */
    String baseId();

    /**
     * Loads {@code dir} strictly (fingerprints against this base, shapes, finite values) as {@code internalName}, so
     * that a forward can select it per row; on any failure nothing stays attached.
     */
    void load(Path dir, String internalName) throws IOException;

    /** Frees {@code internalName}; nothing when it is not loaded. */
    void delete(String internalName);

    /** The adapters loaded now. */
    Set<String> loaded();

    /**
     * The label names the registry keeps for the adapter in {@code dir} (its head's classes), after checking them
     * against this base; empty where the base has no labels (a decoder). A mismatch is an
     * {@link IllegalArgumentException} saying what was expected and found, which the store refuses as a 422.
     */
    List<String> labels(Path dir) throws IOException;

    /** Frees the model; call once no forward runs. */
    @Override
    void close();
}
