package dev.peft4j.apps.text;

import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.SaveMode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Saving a trained adapter at the end of a job, with the folder named when the disk refuses: the engine's own
 * messages ({@code No space left on device}, {@code Read-only file system}) say nothing about where.
 */
public final class AdapterOutput {

    private AdapterOutput() {
    }

    /** {@link PeftModel#save(Path, SaveMode)}, its failure naming {@code dir}. */
    public static void save(PeftModel peft, Path dir, SaveMode mode) throws IOException {
        try {
            peft.save(dir, mode);
        } catch (IOException e) {
            throw new IOException("Cannot save the adapter to " + dir + ": " + dev.peft4j.train.io.IoMessages.describe(e)
                    + "; free space, or choose a writable folder", e);
        }
    }
}
