package dev.peft4j.core.adapter;

import dev.peft4j.core.precision.Precision;

/** The one-call entry point, as peft's {@code get_peft_model}. */
public final class Peft {

    private Peft() {
    }

    /** Attaches {@code config} as adapter {@code "default"} to every targeted linear layer of {@code model}. */
    public static PeftModel wrap(AdaptableModel model, AdapterConfig config) {
        return wrap(model, config, PeftModel.DEFAULT_ADAPTER);
    }

    public static PeftModel wrap(AdaptableModel model, AdapterConfig config, String adapterName) {
        PeftModel peft = new PeftModel(model, AdapterRegistry.defaultRegistry());
        peft.addAdapter(adapterName, config);
        return peft;
    }

    /**
     * Multiplies every linear layer of {@code model} in {@code precision} (before or after wrapping: adapters keep
     * their own fp32 arithmetic). {@link Precision#auto()} picks bf16 where the CPU has bf16 matrix units.
     */
    public static void setPrecision(AdaptableModel model, Precision precision) {
        for (LinearSlot slot : model.linearLayers().values()) {
            slot.setPrecision(precision);
        }
    }

    /** A wrapper with no adapter yet, to {@code load} saved adapters into. */
    public static PeftModel empty(AdaptableModel model) {
        return new PeftModel(model, AdapterRegistry.defaultRegistry());
    }
}
