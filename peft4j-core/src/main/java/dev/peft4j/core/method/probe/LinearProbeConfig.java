package dev.peft4j.core.method.probe;

import dev.peft4j.core.adapter.BaseParameterSelector;
import java.util.List;

/**
 * Configuration of the linear probe, the lower reference point: only the model's heads
 * ({@code AdaptableModel.headModules()}) train, in place; no adapter. They count as head parameters,
 * so the adapter's trainable figure is 0; the output equals the base at init.
 */
public record LinearProbeConfig() implements BaseParameterSelector {

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

    /** None: the heads themselves are the selection. */
    @Override
    public List<String> modulesToSave() {
        return List.of();
    }
}
