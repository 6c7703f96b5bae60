package dev.peft4j.core.precision;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.TorchScriptFunction;
import java.util.Locale;

/**
 * The bf16 linear layer, in one of two kernels with the same arithmetic: bf16 operands, products summed in fp32, the
 * sum rounded to bf16.
 *
 * <ul>
 *   <li>{@link Kernel#NATIVE}: libtorch's bf16 matrix product (oneDNN on AMX or AVX-512-BF16): the fast one, where
 *       the CPU has the units.
 *   <li>{@link Kernel#EMULATED}: the operands rounded to bf16 and multiplied by the fp32 GEMM, the result rounded to
 *       bf16. A product of two bf16 numbers (8 significant bits each) is exact in fp32 (24 bits), so this computes
 *       what the native kernel computes up to the order of the fp32 sums. Chosen on CPUs without bf16 units, where
 *       libtorch's generic bf16 loop runs about 90 times slower than fp32 (1.2 against 110 GFLOP/s measured on an
 *       AVX2 AMD EPYC): bf16 results at fp32 speed, to check accuracy on any machine.
 * </ul>
 *
 * <p>The system property {@code peft4j.bf16.kernel} ({@code native} or {@code emulated}) overrides the choice, so
 * tests can run both anywhere. Both functions take the weight in fp32 (cast per call, the gradient flows to it) or as
 * a bf16 copy (a frozen weight: {@link #toBf16} once).
 */
public final class Bf16Kernels {

    public static final String KERNEL_PROPERTY = "peft4j.bf16.kernel";

    /** How bf16 products are computed on this machine. */
    public enum Kernel {
        NATIVE("bf16 matrix units"),
        EMULATED("no bf16 matrix units on this CPU: fp32 GEMM on bf16-rounded operands, the same arithmetic");

        private final String description;

        Kernel(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    private static volatile Functions functions;

    private Bf16Kernels() {
    }

    public static Kernel kernel() {
        String forced = System.getProperty(KERNEL_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            try {
                return Kernel.valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("System property " + KERNEL_PROPERTY + " must be native or "
                        + "emulated, found '" + forced + "'", e);
            }
        }
        return CpuFeatures.current().hasBf16MatrixUnits() ? Kernel.NATIVE : Kernel.EMULATED;
    }

    /** A bf16 copy of {@code x} (an opaque handle to Java: pass it only to this class's functions). */
    public static NDArray toBf16(NDArray x) {
        return functions().toBf16.apply(x);
    }

    /** A bf16 tensor back in fp32 (exact: every bf16 value is an fp32 value). */
    public static NDArray toFp32(NDArray x) {
        return functions().toFp32.apply(x);
    }

    /** {@code x W^T + b} in bf16 arithmetic, returned in fp32; {@code w} fp32 or bf16, {@code b} fp32 or null. */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        Functions f = functions();
        boolean emulated = kernel() == Kernel.EMULATED;
        if (b == null) {
            return (emulated ? f.emulatedLinear : f.nativeLinear).apply(x, w);
        }
        return (emulated ? f.emulatedLinearBias : f.nativeLinearBias).apply(x, w, b);
    }

    private static Functions functions() {
        Functions f = functions;
        if (f == null) {
            synchronized (Bf16Kernels.class) {
                f = functions;
                if (f == null) {
                    f = new Functions();
                    functions = f;
                }
            }
        }
        return f;
    }

    /** Compiled on first use (each a few milliseconds). */
    private static final class Functions {
        // c10::ScalarType numbers, as torch.jit.save writes dtypes (the names torch.bfloat16 and torch.float32
        // exist only in Python's frontend): Float is 6, BFloat16 is 15.
        private static final String BF16 = "15";
        private static final String FP32 = "6";
        // to(bf16) then to(fp32): the value rounded to bf16 (round to nearest even), kept in fp32
        private static final String ROUND = ".to(" + BF16 + ").to(" + FP32 + ")";

        final TorchScriptFunction toBf16 = TorchScriptFunction.compile("ToBf16", "x: Tensor",
                "return x.to(" + BF16 + ")");
        final TorchScriptFunction toFp32 = TorchScriptFunction.compile("ToFp32", "x: Tensor",
                "return x.to(" + FP32 + ")");
        final TorchScriptFunction nativeLinear = TorchScriptFunction.compile("Bf16Linear", "x: Tensor, w: Tensor",
                "return torch.linear(x.to(" + BF16 + "), w.to(" + BF16 + ")).to(" + FP32 + ")");
        final TorchScriptFunction nativeLinearBias = TorchScriptFunction.compile("Bf16LinearBias",
                "x: Tensor, w: Tensor, b: Tensor",
                "return torch.linear(x.to(" + BF16 + "), w.to(" + BF16 + "), b.to(" + BF16 + ")).to(" + FP32 + ")");
        final TorchScriptFunction emulatedLinear = TorchScriptFunction.compile("Bf16EmulatedLinear",
                "x: Tensor, w: Tensor",
                "return torch.linear(x" + ROUND + ", w" + ROUND + ")" + ROUND);
        final TorchScriptFunction emulatedLinearBias = TorchScriptFunction.compile("Bf16EmulatedLinearBias",
                "x: Tensor, w: Tensor, b: Tensor",
                "return torch.linear(x" + ROUND + ", w" + ROUND + ", b" + ROUND + ")" + ROUND);
    }
}
