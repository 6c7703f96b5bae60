package dev.peft4j.train.diffusion;

/**
 * The DDPM forward process (Ho et al., <a href="https://arxiv.org/abs/2006.11239">paper</a>): betas rising linearly
 * over the training timesteps, {@code alpha_t = 1 - beta_t} and {@code alphaCumprod_t = prod_{s <= t} alpha_s}, so
 * that {@code x_t = sqrt(alphaCumprod_t) x_0 + sqrt(1 - alphaCumprod_t) eps}. Computed in float32 as diffusers'
 * {@code DDPMScheduler} computes it ({@code torch.linspace}, then {@code torch.cumprod}), so that a timestep means
 * the same noise level here as there.
 */
public final class NoiseSchedule {

    /** diffusers' {@code num_train_timesteps} default. */
    public static final int DEFAULT_TIMESTEPS = 1000;

    private final float[] betas;
    private final float[] alphasCumprod;

    private NoiseSchedule(float[] betas) {
        this.betas = betas;
        this.alphasCumprod = new float[betas.length];
        float product = 1f;
        for (int t = 0; t < betas.length; t++) {
            product *= 1f - betas[t]; // float32 running product, as torch.cumprod
            alphasCumprod[t] = product;
        }
    }

    /** diffusers' default: 1000 steps, betas linear from 1e-4 to 0.02. */
    public static NoiseSchedule ddpmLinear() {
        return linear(DEFAULT_TIMESTEPS, 1e-4f, 0.02f);
    }

    /**
     * Betas {@code torch.linspace(betaStart, betaEnd, timesteps, dtype=float32)}: PyTorch fills the first half from
     * the start and the second half from the end, in float32, and so does this.
     */
    public static NoiseSchedule linear(int timesteps, float betaStart, float betaEnd) {
        if (timesteps < 2) {
            throw new IllegalArgumentException("A noise schedule needs at least 2 timesteps, found " + timesteps);
        }
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
            throw new IllegalArgumentException("Betas must satisfy 0 < betaStart <= betaEnd < 1, found " + betaStart
                    + " and " + betaEnd);
        }
        float[] betas = new float[timesteps];
        float step = (betaEnd - betaStart) / (timesteps - 1);
        int halfway = timesteps / 2;
        for (int i = 0; i < timesteps; i++) {
            betas[i] = i < halfway ? betaStart + step * i : betaEnd - step * (timesteps - 1 - i);
        }
        return new NoiseSchedule(betas);
    }

    public int numTrainTimesteps() {
        return betas.length;
    }

    public float beta(int t) {
        return betas[check(t)];
    }

    /** {@code prod_{s <= t} (1 - beta_s)}: the share of the signal's variance left at step {@code t}. */
    public float alphaCumprod(int t) {
        return alphasCumprod[check(t)];
    }

    private int check(int t) {
        if (t < 0 || t >= betas.length) {
            throw new IllegalArgumentException("Timestep " + t + " is outside [0, " + (betas.length - 1) + "] of this "
                    + betas.length + "-step schedule");
        }
        return t;
    }
}
