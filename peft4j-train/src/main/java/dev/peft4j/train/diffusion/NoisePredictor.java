package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.dit.DitModel;

/** What a sampler asks of a diffusion model: the noise in a noisy batch, and the image shape it works on. */
public interface NoisePredictor {

    /**
     * @param noisy [batch, channels, size, size]
     * @param timesteps [batch] integer timesteps
     * @param labels [batch] classes, {@link #nullClass()} for none
     * @return the predicted noise, shaped as {@code noisy}
     */
    NDArray predictNoise(NDArray noisy, NDArray timesteps, NDArray labels);

    /** The label that means "no class" (classifier-free guidance's unconditional half). */
    int nullClass();

    int channels();

    int imageSize();

    /** A DiT under {@code selection} (one adapter, or the base, for the whole batch); null: its active adapters. */
    static NoisePredictor of(DitModel model, AdapterSelection selection) {
        return new NoisePredictor() {
            @Override
            public NDArray predictNoise(NDArray noisy, NDArray timesteps, NDArray labels) {
                return selection == null ? model.forward(noisy, timesteps, labels)
                        : model.forward(noisy, timesteps, labels, selection);
            }

            @Override
            public int nullClass() {
                return model.nullClass();
            }

            @Override
            public int channels() {
                return model.config().inChannels();
            }

            @Override
            public int imageSize() {
                return model.config().sampleSize();
            }
        };
    }
}
