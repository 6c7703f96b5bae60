package dev.peft4j.core.adapter;

import java.util.List;

/**
 * What a method's layer factory may need beyond the config and the slot: the slot's position
 * (to derive per-layer seeds), a list collecting one-line notes that the wrapper reports once
 * per model instead of once per layer (for example, layers whose rank was capped), and whether the adapter trains
 * (false: loaded for inference, its values fixed, so a layer may precompute from them).
 */
public record LayerContext(String adapterName, int layerIndex, List<String> notes, boolean trainable) {
}
