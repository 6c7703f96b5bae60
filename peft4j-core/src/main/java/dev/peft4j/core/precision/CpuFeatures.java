package dev.peft4j.core.precision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The instruction-set features of this CPU that decide how fast each precision runs, read from the kernel's
 * {@code /proc/cpuinfo} flags (Linux; elsewhere none are known and fp32 is chosen).
 *
 * <p>bf16 matrix multiplication is fast only with matrix units for it: AMX ({@code amx_bf16}, Intel Sapphire Rapids
 * and later) or the AVX-512 bf16 dot product ({@code avx512_bf16}, Intel Cooper Lake and later, AMD Zen 4 and later).
 * Without them libtorch multiplies bf16 in a generic loop: measured on an AVX2-only AMD EPYC, 1.2 GFLOP/s against
 * 110 GFLOP/s in fp32.
 */
public record CpuFeatures(String model, Set<String> flags) {

    /** The flags that a benchmark reports: vector widths and the matrix units for bf16 and int8. */
    public static final List<String> REPORTED = List.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16",
            "amx_tile", "amx_bf16", "amx_int8");

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static volatile CpuFeatures current;

    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

    /** This machine's features (read once). */
    public static CpuFeatures current() {
        CpuFeatures features = current;
        if (features == null) {
            features = read(CPUINFO);
            current = features;
        }
        return features;
    }

    /** Parses a {@code /proc/cpuinfo}; a missing or unreadable file gives no flags. */
    static CpuFeatures read(Path cpuinfo) {
        if (!Files.isReadable(cpuinfo)) {
            return new CpuFeatures("unknown (no " + cpuinfo + ")", Set.of());
        }
        try {
            return parse(Files.readAllLines(cpuinfo));
        } catch (IOException e) {
            return new CpuFeatures("unknown (" + e.getMessage() + ")", Set.of());
        }
    }

    static CpuFeatures parse(List<String> lines) {
        String model = "unknown";
        Set<String> flags = new TreeSet<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("model name") && model.equals("unknown")) {
                model = value;
            } else if (key.equals("flags") && flags.isEmpty()) { // the first core's; all cores have the same
                for (String flag : value.split("\\s+")) {
                    flags.add(flag);
                }
            }
        }
        return new CpuFeatures(model, flags);
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** Whether bf16 matrix products run on units made for them (AMX-BF16 or AVX-512-BF16). */
    public boolean hasBf16MatrixUnits() {
        return has("amx_bf16") || has("avx512_bf16");
    }

    /** The {@link #REPORTED} flags this CPU has, space-separated, e.g. {@code "avx2 fma"}. */
    public String reportedFlags() {
        return REPORTED.stream().filter(this::has).collect(Collectors.joining(" "));
    }
}
