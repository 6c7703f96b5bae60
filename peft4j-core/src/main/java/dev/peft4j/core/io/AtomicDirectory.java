package dev.peft4j.core.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Replaces a whole directory (an adapter, a LoRA export, a merged model) so that a reader sees the old content or
 * the new, never a mix, whenever the process dies; and lets a reader check the content against its manifest.
 *
 * <p>Protocol of {@link #replace} for a target {@code D} in parent {@code P} (every rename is one {@code rename(2)}
 * within {@code P}, so it is atomic):
 * <ol>
 * <li>finish any earlier interrupted replace ({@link #recover}) and delete stale {@code .D.peft4j-new-*} folders;</li>
 * <li>the writer's files go into a fresh sibling {@code P/.D.peft4j-new-<uuid>}, each fsynced; then
 * {@value DirectoryManifest#FILE_NAME} (the SHA-256 of every file) is written last and the folder fsynced;</li>
 * <li>{@code D -> P/.D.peft4j-old} (the "aside" copy; skipped when there is no {@code D});</li>
 * <li>{@code new -> D}, then {@code P} is fsynced: from here on {@code D} is the new content;</li>
 * <li>entries of the aside copy that are not part of the old content (not in its manifest) and that the new content
 * does not have, e.g. sub-folders of other adapters, are moved into {@code D} one rename each;</li>
 * <li>{@code aside -> P/.D.peft4j-trash-<uuid>}, then that is deleted.</li>
 * </ol>
 * What a reader finds at each instant, and what {@link #recover} (run by every reader and writer) does about it:
 * before 3, {@code D} is the old content (a stray new folder is garbage, deleted by the next writer); between 3 and 4,
 * {@code D} is missing and the aside copy is the old content, which {@code recover} renames back into place; after 4,
 * {@code D} is the new content and {@code recover} finishes steps 5 and 6. Deletion happens only to a folder renamed
 * to a trash name first, so no half-deleted copy is ever read as content.
 *
 * <p>One writer per directory at a time (a second one started meanwhile fails or is undone, never mixed in). A
 * reader that recovers a directory while a writer is between steps 3 and 4 makes that writer fail with an
 * IOException; the old content stays.
 */
public final class AtomicDirectory {

    private static final String NEW_INFIX = ".peft4j-new-";
    private static final String ASIDE_SUFFIX = ".peft4j-old";
    private static final String TRASH_INFIX = ".peft4j-trash-";

    /** The points between the protocol's steps, where tests inject a crash. */
    enum Step {
        /** The writer's files are in the new folder (not yet the manifest). */
        FILES_WRITTEN,
        /** The manifest is written and the new folder fsynced. */
        MANIFEST_WRITTEN,
        /** The old content was renamed aside; the target is missing. */
        OLD_ASIDE,
        /** The new folder is the target. */
        NEW_IN_PLACE,
        /** One entry was carried over from the aside copy. */
        CARRIED_ONE,
        /** The aside copy was renamed to a trash name. */
        OLD_TRASHED,
        /** Everything is done. */
        DONE
    }

    /** Test seam: called at each {@link Step}; throwing there simulates a crash at that instant. */
    @FunctionalInterface
    interface StepHook {
        void reached(Step step) throws IOException;
    }

    private static final StepHook NO_HOOK = step -> { };

    /** Test seam for writers outside this package (PeftModel.save): the hook of the calling thread, none by default. */
    static final ThreadLocal<StepHook> THREAD_HOOK = ThreadLocal.withInitial(() -> NO_HOOK);

    private AtomicDirectory() {
    }

    /**
     * Replaces {@code target} as a whole with the files {@code body} writes into the (empty, fresh) directory it is
     * given; see the class comment for the protocol. The body writes plain files only; a manifest of them is added.
     * An exception from the body, or from the swap before the new content is in place, leaves the old content.
     */
    public static void replace(Path target, AtomicFiles.IoConsumer<Path> body) throws IOException {
        replace(target, body, THREAD_HOOK.get());
    }

    static void replace(Path target, AtomicFiles.IoConsumer<Path> body, StepHook hook) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null) {
            throw new IOException("Cannot replace " + absolute + " as a whole: it has no parent directory to write "
                    + "the new copy beside it; choose a sub-directory");
        }
        if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
            throw new FileAlreadyExistsException(absolute.toString(), null, "it is a file, not a directory; "
                    + "choose another output path or remove the file");
        }
        Files.createDirectories(parent);
        recover(absolute);
        deleteStaleNewFolders(absolute);
        Path fresh = parent.resolve("." + absolute.getFileName() + NEW_INFIX + UUID.randomUUID());
        Path aside = asideOf(absolute);
        Files.createDirectory(fresh);
        boolean oldMovedAside = false;
        try {
            body.accept(fresh);
            hook.reached(Step.FILES_WRITTEN);
            DirectoryManifest.write(fresh);
            syncDirectory(fresh);
            hook.reached(Step.MANIFEST_WRITTEN);
            if (Files.exists(absolute)) {
                Files.move(absolute, aside, StandardCopyOption.ATOMIC_MOVE);
                oldMovedAside = true;
                hook.reached(Step.OLD_ASIDE);
            }
            Files.move(fresh, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // An Error (a simulated kill, OOM) skips this, as a real kill would; recover() handles what it leaves.
            undo(absolute, fresh, aside, oldMovedAside, e);
            throw e;
        }
        syncDirectory(parent);
        hook.reached(Step.NEW_IN_PLACE);
        finishSwap(absolute, aside, hook);
        hook.reached(Step.DONE);
    }

    /**
     * Brings {@code target} back to a complete state after an interrupted {@link #replace} and returns the
     * directory to read: {@code target}, or the aside copy of the old content when it cannot be renamed back (a
     * read-only parent). Harmless when nothing was interrupted.
     */
    public static Path recover(Path target) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        if (absolute.getParent() == null) {
            return target; // the root is never written by replace
        }
        Path aside = asideOf(absolute);
        if (!Files.isDirectory(aside)) {
            try {
                deleteTrash(absolute); // killed during step 6: the trash is never content, only litter
            } catch (IOException | java.io.UncheckedIOException cannotTidy) {
                // a read-only parent or another process deleting it too; harmless either way
            }
            return target;
        }
        if (!Files.exists(absolute)) {
            try {
                Files.move(aside, absolute, StandardCopyOption.ATOMIC_MOVE); // killed between steps 3 and 4
                syncDirectory(absolute.getParent());
                return target;
            } catch (IOException cannotRename) {
                return Files.exists(absolute) ? target : aside;
            }
        }
        try {
            finishSwap(absolute, aside, NO_HOOK); // killed after step 4
        } catch (IOException cannotTidy) {
            // the target is the complete new content already; the next writer tidies up
        }
        return target;
    }

    /**
     * {@link #recover} then {@link DirectoryManifest#verify}: the directory to read, checked against its manifest
     * when it has one (directories written before manifests existed have none and are not checked).
     */
    public static Path openForRead(Path target) throws IOException {
        Path dir = recover(target);
        DirectoryManifest.verify(dir);
        return dir;
    }

    /** Steps 5 and 6: carry over the entries that were not the old content, then delete the aside copy. */
    private static void finishSwap(Path target, Path aside, StepHook hook) throws IOException {
        if (!Files.isDirectory(aside)) {
            return;
        }
        Set<String> oldContent = new HashSet<>();
        oldContent.add(DirectoryManifest.FILE_NAME);
        if (DirectoryManifest.exists(aside)) {
            try {
                oldContent.addAll(DirectoryManifest.read(aside).keySet());
            } catch (AdapterFormatException damagedManifest) {
                // then only the names the new content has are treated as replaced
            }
        }
        for (Path entry : list(aside)) {
            String name = entry.getFileName().toString();
            if (oldContent.contains(name) || Files.exists(target.resolve(name))) {
                continue;
            }
            try {
                Files.move(entry, target.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException | FileAlreadyExistsException movedByAnotherRecovery) {
                continue;
            }
            hook.reached(Step.CARRIED_ONE);
        }
        Path trash = aside.resolveSibling("." + target.getFileName() + TRASH_INFIX + UUID.randomUUID());
        try {
            Files.move(aside, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException trashedByAnotherRecovery) {
            return;
        }
        syncDirectory(target.getParent());
        hook.reached(Step.OLD_TRASHED);
        deleteTree(trash);
        deleteTrash(target);
    }

    /** Puts the old content back after a failed (not killed) replace, and removes the new folder. */
    private static void undo(Path target, Path fresh, Path aside, boolean oldMovedAside, Exception failure) {
        try {
            if (oldMovedAside && !Files.exists(target)) {
                Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
            }
            deleteTree(fresh);
        } catch (IOException | RuntimeException cleanupFailure) {
            failure.addSuppressed(cleanupFailure); // recover() on the next read or write finishes the job
        }
    }

    private static Path asideOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ASIDE_SUFFIX);
    }

    private static void deleteStaleNewFolders(Path target) throws IOException {
        String prefix = "." + target.getFileName() + NEW_INFIX;
        for (Path entry : list(target.getParent())) {
            if (entry.getFileName().toString().startsWith(prefix)) {
                deleteTree(entry);
            }
        }
        deleteTrash(target);
    }

    private static void deleteTrash(Path target) throws IOException {
        String prefix = "." + target.getFileName() + TRASH_INFIX;
        for (Path entry : list(target.getParent())) {
            if (entry.getFileName().toString().startsWith(prefix)) {
                deleteTree(entry);
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(entries::add);
        } catch (NoSuchFileException gone) {
            return entries;
        }
        return entries;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Makes renames inside {@code dir} durable; best effort where a platform cannot open directories. */
    private static void syncDirectory(Path dir) {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir,
                java.nio.file.StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException platformCannotSyncDirectories) {
            // the rename is atomic anyway; only its flush to disk is left to the OS
        }
    }
}
