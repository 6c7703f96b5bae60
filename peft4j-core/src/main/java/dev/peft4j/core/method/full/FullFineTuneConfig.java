package dev.peft4j.core.method.full;

import dev.peft4j.core.adapter.BaseParameterSelector;
import java.util.List;

/**
 * Configuration of full fine-tuning, the upper reference point: every parameter of the model trains
 * in place (heads not listed in {@code modulesToSave} included); the output equals the base at init.
 * Trainable count: all parameters outside {@code modulesToSave}.
 *
 * @param modulesToSave modules trained fully and saved beside it (e.g. {@code classifier}), reported as
 *     head parameters apart from the method's own count.
 */
public record FullFineTuneConfig(List<String> modulesToSave) implements BaseParameterSelector {

    public FullFineTuneConfig {
        modulesToSave = List.copyOf(modulesToSave);
    }

    @Override
    public boolean selects(String name, boolean inHead) {
        return true;
    }

    @Override
    public String methodId() {
        return FullFineTuneMethod.ID;
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

        public FullFineTuneConfig build() {
            return new FullFineTuneConfig(modulesToSave);
        }
    }
}
