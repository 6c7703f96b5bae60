package dev.peft4j.core.method.probe;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.BaseParameterSelector;
import dev.peft4j.core.adapter.TargetModules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of the linear probe, the lower reference point: only the model's heads
 * ({@code AdaptableModel.headModules()}) train, in place; no adapter. They count as head parameters,
 * so the adapter's trainable figure is 0; the output equals the base at init.
 */
public record LinearProbeConfig() implements AdapterConfig, BaseParameterSelector {

    /** A regex no module path matches: this method attaches nothing to linear slots (not consulted). */
    private static final TargetModules NO_LINEAR_LAYERS = TargetModules.regex("(?!)");

    @Override
    public boolean selects(String name, boolean inHead) {
        return inHead;
    }

    @Override
    public boolean countsAsHead() {
        return true;
    }

    @Override
    public String methodId() {
        return LinearProbeMethod.ID;
    }

    @Override
    public TargetModules targetModules() {
        return NO_LINEAR_LAYERS;
    }

    @Override
    public List<String> excludeModules() {
        return List.of();
    }

    /** None: the heads themselves are the selection. */
    @Override
    public List<String> modulesToSave() {
        return List.of();
    }

    @Override
    public Map<String, Object> methodFields() {
        return new LinkedHashMap<>();
    }
}
