package dev.peft4j.core.adapter;

import java.util.List;
import java.util.Map;

/**
 * What every adapter method's configuration says: which linear layers it targets, which modules
 * train fully beside it (a classification head), and how it writes itself into
 * {@code adapter_config.json}. Implementations are records that validate in their constructor.
 */
public interface AdapterConfig {

    /** The method id in the registry, e.g. {@code loldu}. */
    String methodId();

    /** Which linear layers get an adapter. */
    TargetModules targetModules();

    /** Module paths (exact or suffix) never adapted even if targeted. */
    List<String> excludeModules();

    /** Modules trained fully and saved with the adapter, e.g. {@code classifier}. */
    List<String> modulesToSave();

    /** The method-specific fields of {@code adapter_config.json}, in peft's spelling. */
    Map<String, Object> methodFields();
}
