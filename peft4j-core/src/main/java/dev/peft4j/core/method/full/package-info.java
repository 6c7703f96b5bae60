/**
 * Full fine-tuning: every parameter of the model trains, in place; the upper reference point of the comparison.
 * No per-slot layer: the config is a {@link dev.peft4j.core.adapter.BaseParameterSelector}.
 */
package dev.peft4j.core.method.full;
