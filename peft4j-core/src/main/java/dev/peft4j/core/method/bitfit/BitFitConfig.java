package dev.peft4j.core.method.bitfit;

import dev.peft4j.core.adapter.BaseParameterSelector;
import java.util.List;

/**
 * Configuration of BitFit (<a href="https://arxiv.org/abs/2106.10199">paper</a>): only the model's
 * biases train (every parameter named {@code *.bias} outside the heads), in place; the output equals the
 * base at init. Trainable count: the sum of the non-head bias sizes.
 *
 * @param modulesToSave modules trained fully and saved beside it (e.g. {@code classifier}), reported as
 *     head parameters apart from the method's own count.
 */
public record BitFitConfig(List<String> modulesToSave) implements BaseParameterSelector {

    public BitFitConfig {
        modulesToSave = List.copyOf(modulesToSave);
    }

    @Override
    public boolean selects(String name, boolean inHead) {
        return name.endsWith(".bias") && !inHead;
    }

    @Override
    public String methodId() {
        return BitFitMethod.ID;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder; every field is optional. */
    public static final class Builder {
        private List<String> modulesToSave = List.of();

        public Builder optModulesToSave(String... names) {
            this.modulesToSave = List.of(names);
            return this;
        }

        public BitFitConfig build() {
            return new BitFitConfig(modulesToSave);
        }
    }
}
