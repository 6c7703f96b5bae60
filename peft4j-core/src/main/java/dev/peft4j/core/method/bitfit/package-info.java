/**
 * BitFit (<a href="https://arxiv.org/abs/2106.10199">paper</a>): train only the model's biases, in place.
 * No per-slot layer: the config is a {@link dev.peft4j.core.adapter.BaseParameterSelector}.
 */
package dev.peft4j.core.method.bitfit;
