package dev.peft4j.core.method.loldu;

import java.util.Locale;
import java.util.Random;

/**
 * How the trainable diagonal {@code z} starts, as in the reference code (docs/ARCHITECTURE.md, section 1).
 *
 * <p>Two families: the identity family ({@code lu}, {@code uniform}, {@code normal}, {@code constant})
 * folds {@code z0} into the residual, so the wrapped model equals the base at step 0; the perturbing
 * family ({@code s_uniform}, {@code s_normal}, {@code ones}, {@code zeros}) folds the pivots {@code d_r}
 * into the residual and starts z elsewhere, so step 0 already differs from the base (the paper's
 * Table V compares them).
 */
public enum LolduInit {
    /** z0 = d_r: the pivots themselves (the paper's default). */
    LU(true) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            return d.clone();
        }
    },
    /** z0 ~ U(-|mean d|/2, +|mean d|/2). */
    UNIFORM(true) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float half = Math.abs(mean(d)) / 2f;
            float[] z = new float[d.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) ((rng.nextDouble() * 2 - 1) * half);
            }
            return z;
        }
    },
    /** z0 ~ N(mean d, std d). */
    NORMAL(true) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float mean = mean(d);
            float std = std(d, mean);
            float[] z = new float[d.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) (mean + std * rng.nextGaussian());
            }
            return z;
        }
    },
    /** z0 = mean d everywhere. */
    CONSTANT(true) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float[] z = new float[d.length];
            java.util.Arrays.fill(z, mean(d));
            return z;
        }
    },
    /** z0 ~ U(-1, 1), residual keeps d_r. */
    S_UNIFORM(false) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float[] z = new float[d.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) (rng.nextDouble() * 2 - 1);
            }
            return z;
        }
    },
    /** z0 ~ N(0, 1), residual keeps d_r. */
    S_NORMAL(false) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float[] z = new float[d.length];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) rng.nextGaussian();
            }
            return z;
        }
    },
    /** z0 = 1, residual keeps d_r. */
    ONES(false) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            float[] z = new float[d.length];
            java.util.Arrays.fill(z, 1f);
            return z;
        }
    },
    /** z0 = 0, residual keeps d_r (the adapter starts by removing the top-r LDU part). */
    ZEROS(false) {
        @Override
        float[] initialZ(float[] d, Random rng) {
            return new float[d.length];
        }
    };

    private final boolean identityAtInit;

    LolduInit(boolean identityAtInit) {
        this.identityAtInit = identityAtInit;
    }

    /** The starting z for pivots {@code d} ([r]); {@code rng} is seeded per layer. */
    abstract float[] initialZ(float[] d, Random rng);

    /** True when the residual absorbs z0, so that the adapted model equals the base at step 0. */
    public boolean identityAtInit() {
        return identityAtInit;
    }

    /** The lower-case name used in configs and on the command line, e.g. {@code s_uniform}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LolduInit fromId(String id) {
        for (LolduInit init : values()) {
            if (init.id().equals(id)) {
                return init;
            }
        }
        throw new IllegalArgumentException("Unknown LoLDU init '" + id + "'; accepted: "
                + java.util.Arrays.stream(values()).map(LolduInit::id).toList());
    }

    private static float mean(float[] d) {
        double sum = 0;
        for (float v : d) {
            sum += v;
        }
        return (float) (sum / d.length);
    }

    private static float std(float[] d, float mean) {
        if (d.length < 2) {
            return 0f;
        }
        double sum = 0;
        for (float v : d) {
            sum += (v - mean) * (v - mean);
        }
        return (float) Math.sqrt(sum / (d.length - 1)); // unbiased, as torch.std
    }
}
