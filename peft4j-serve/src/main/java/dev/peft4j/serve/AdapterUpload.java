package dev.peft4j.serve;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * An adapter sent as the files of its directory ({@code multipart/form-data}, one file part per file:
 * {@code adapter_config.json}, {@code adapter_model.safetensors}, {@code peft4j_manifest.json} and whatever else
 * the adapter has) and written into a fresh folder under the state directory's {@code staging/}, from where it goes
 * through exactly the checked install of a path ({@link AdapterStore#put}). Only plain file names are taken (no
 * separators, no {@code ..}, no leading dot), each once, and the files together may not exceed the upload limit.
 */
final class AdapterUpload {

    /** What a file part's name may be: it becomes a file name in the staging folder. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final int BUFFER_BYTES = 1 << 16;

    private AdapterUpload() {
    }

    /** The folder Jetty spools large parts into while a request is read: in the state directory, not in /tmp. */
    static Path spoolDir(Path stateDir) {
        return stateDir.resolve("staging").resolve("multipart");
    }

    /**
     * Writes the request's file parts into a new folder under {@code stateDir/staging} and returns it; the caller
     * installs from it and deletes it. Refuses (and removes what it wrote) a body over {@code maxBytes} with a 413
     * and bad or repeated names, or no files, with a 400.
     */
    static Path stage(Context ctx, Path stateDir, long maxBytes) throws IOException {
        // multipart framing adds a few hundred bytes per part; the files themselves are counted exactly below
        long framing = 64 * 1024;
        if (ctx.contentLength() > maxBytes + framing) {
            throw tooLarge(ctx.contentLength(), maxBytes);
        }
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles();
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("exceeds") || message.contains("too large") || message.contains("Too Large")) {
                throw tooLarge(-1, maxBytes);
            }
            throw ServeException.invalid("invalid_upload", "The multipart body could not be read: " + message
                    + "; send each adapter file as a file part, e.g. curl -F file=@adapter_config.json");
        }
        if (files.isEmpty()) {
            throw ServeException.invalid("invalid_upload", "Expected the adapter's files as multipart file parts "
                    + "(adapter_config.json, adapter_model.safetensors, ...), found none; use "
                    + "curl -F file=@DIR/adapter_config.json -F file=@DIR/adapter_model.safetensors ...");
        }
        Set<String> names = new HashSet<>();
        for (UploadedFile file : files) {
            String name = file.filename();
            if (name == null || !FILE_NAME.matcher(name).matches() || name.contains("..")) {
                throw ServeException.invalid("invalid_file_name", "Invalid uploaded file name "
                        + (name == null ? "(none)" : "'" + name + "'") + ": expected a plain file name of 1 to 128 "
                        + "characters of A-Z a-z 0-9 . _ - (no path separators, no '..', no leading dot), as the "
                        + "adapter directory names its files");
            }
            if (!names.add(name)) {
                throw ServeException.invalid("invalid_upload", "The file '" + name + "' was uploaded twice; send "
                        + "each file of the adapter directory once");
            }
        }
        Path dir = stateDir.resolve("staging").resolve("upload-" + UUID.randomUUID());
        Files.createDirectories(dir);
        boolean staged = false;
        try {
            long total = 0;
            for (UploadedFile file : files) {
                total = copy(file, dir.resolve(file.filename()), total, maxBytes);
            }
            staged = true;
            return dir;
        } finally {
            if (!staged) {
                AdapterStore.deleteTree(dir);
            }
        }
    }

    /** Copies one part, counting against the total; returns the new total. */
    private static long copy(UploadedFile file, Path target, long total, long maxBytes) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        try (InputStream in = file.content();
                OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge(total, maxBytes);
                }
                out.write(buffer, 0, n);
            }
        }
        return total;
    }

    private static ServeException tooLarge(long size, long maxBytes) {
        return new ServeException(413, "invalid_request_error", "upload_too_large", "The uploaded adapter is "
                + (size < 0 ? "over" : size + " bytes, over") + " the limit of " + maxBytes + " bytes; start the "
                + "server with a larger upload limit, or install it by path ({\"path\": ...}) from a directory the "
                + "server can read");
    }
}
