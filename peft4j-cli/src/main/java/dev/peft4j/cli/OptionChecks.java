package dev.peft4j.cli;

import java.nio.file.Path;

/**
 * Range checks of option values, with messages naming the option: picocli checks types, these check what a type
 * cannot say (a count of at least 1, a fraction below 1, a finite rate), before anything is loaded.
 */
final class OptionChecks {

    private OptionChecks() {
    }

    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + ", found " + value);
        }
    }

    static void positive(String option, float value) {
        if (!(value > 0 && Float.isFinite(value))) {
            throw new IllegalArgumentException(option + " must be a positive finite number, found " + value);
        }
    }

    static void nonNegative(String option, float value) {
        if (!(value >= 0 && Float.isFinite(value))) {
            throw new IllegalArgumentException(option + " must be a finite number >= 0, found " + value);
        }
    }

    /** A fraction in [0, 1). */
    static void fraction(String option, float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(option + " must be in [0, 1), found " + value);
        }
    }

    /**
     * Refuses an output folder that is, lies inside or contains the input folder: writing it would replace or mix
     * with the files being read.
     */
    static void separateFolders(String outputOption, Path output, String inputOption, Path input) {
        Path out = real(output);
        Path in = real(input);
        if (out.startsWith(in) || in.startsWith(out)) {
            String relation = out.equals(in) ? "is" : out.startsWith(in) ? "is inside" : "contains";
            throw new IllegalArgumentException(outputOption + " " + output + " " + relation + " the " + inputOption
                    + " folder " + input + "; writing there would replace the files being read: choose another "
                    + outputOption + ", e.g. " + input.toAbsolutePath().normalize() + "-out");
        }
    }

    /** The absolute path with symbolic links resolved as far as the path exists. */
    private static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !java.nio.file.Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (java.io.IOException e) {
            return absolute;
        }
    }
}
