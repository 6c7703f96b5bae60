/**
 * Linear probe: only the model's head trains; the lower reference point of the comparison.
 * No per-slot layer: the config is a {@link dev.peft4j.core.adapter.BaseParameterSelector}.
 */
package dev.peft4j.core.method.probe;
