package dev.peft4j.core.adapter;

import java.util.List;

/**
 * The builder options every slot method shares: which layers to target, which to exclude and which
 * modules train fully beside the adapter. A method's builder extends it and adds its own knobs.
 *
 * @param <B> the concrete builder, returned by every option for chaining
 */
public abstract class TargetedConfigBuilder<B extends TargetedConfigBuilder<B>> {

    /** Default {@code query, value}, as the paper and peft's BERT presets do. */
    protected TargetModules targetModules = TargetModules.names("query", "value");
    protected List<String> excludeModules = List.of();
    protected List<String> modulesToSave = List.of();

    protected abstract B self();

    /** Module names or suffixes such as {@code query}, {@code attention.output.dense}, or {@code all-linear}. */
    public B optTargetModules(String... names) {
        this.targetModules = TargetModules.names(names);
        return self();
    }

    public B optTargetModules(TargetModules targets) {
        this.targetModules = targets;
        return self();
    }

    /** Module paths or suffixes never adapted even if targeted. */
    public B optExcludeModules(String... names) {
        this.excludeModules = List.of(names);
        return self();
    }

    /** Modules trained fully and saved with the adapter, e.g. {@code classifier}. */
    public B optModulesToSave(String... names) {
        this.modulesToSave = List.of(names);
        return self();
    }
}
