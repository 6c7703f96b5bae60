package dev.peft4j.core.precision;

import java.util.Locale;

/**
 * The precision of a model's frozen base matrix products, what {@code torch.autocast(dtype=torch.bfloat16)} does on
 * the CPU for linear layers: in {@link #BF16} the base weight is kept as loaded (fp32, so fingerprints, merges,
 * decompositions and adapter files do not depend on the precision) and multiplied as a bf16 copy, with the input
 * rounded to bf16, products accumulated in fp32 and the result rounded to bf16 and handed on in fp32. Adapter
 * parameters, their gradients, the optimiser state, norms, softmax and the loss stay fp32.
 */
public enum Precision {
    FP32,
    BF16;

    // Library default fp32: results then do not depend on the CPU. The command line defaults to auto().
    private static volatile Precision defaultForNewModels = FP32;

    /** The precision every linear layer made from now on starts in ({@code LinearSlot}); fp32 unless set. */
    public static Precision defaultForNewModels() {
        return defaultForNewModels;
    }

    /** Sets {@link #defaultForNewModels()}, as {@code torch.set_default_dtype} does for new tensors. */
    public static void setDefaultForNewModels(Precision precision) {
        defaultForNewModels = java.util.Objects.requireNonNull(precision, "precision");
    }

    /** bf16 where the CPU has bf16 matrix units ({@link CpuFeatures#hasBf16MatrixUnits()}), fp32 elsewhere. */
    public static Precision auto() {
        return CpuFeatures.current().hasBf16MatrixUnits() ? BF16 : FP32;
    }

    /** {@code fp32}, {@code bf16} or {@code auto} (any case). */
    public static Precision parse(String text) {
        String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "fp32":
                return FP32;
            case "bf16":
                return BF16;
            case "auto":
                return auto();
            default:
                throw new IllegalArgumentException("Unknown precision '" + text
                        + "': expected fp32, bf16 or auto (bf16 where the CPU has bf16 matrix units)");
        }
    }

    /** The name users type: {@code fp32} or {@code bf16}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** One line for a run's log: the precision and how this CPU computes it. */
    public String describe() {
        if (this == FP32) {
            return "fp32";
        }
        return "bf16 (" + Bf16Kernels.kernel().description() + ")";
    }
}
