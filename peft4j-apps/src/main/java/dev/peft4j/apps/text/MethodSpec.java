package dev.peft4j.apps.text;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterRegistry;
import java.util.List;
import java.util.Map;

/**
 * A method chosen by name with the common knobs, turned into that method's config through its
 * own {@code configFromJson} (peft's field names), so adding a method needs no change here.
 *
 * @param method registry id, e.g. {@code loldu}, {@code lora}
 * @param rank r
 * @param alpha scale numerator; null for the method's default
 * @param init LoLDU init method name; null for the default
 * @param targets target module names, or {@code all-linear}
 * @param trainSigma LoLDU: train the scale too
 * @param extra further method fields in peft's spelling (e.g. {@code n_frequency})
 */
public record MethodSpec(String method, int rank, Float alpha, String init, List<String> targets, boolean trainSigma,
        Map<String, Object> extra) {

    public MethodSpec {
        if (rank < 1) {
            throw new IllegalArgumentException("--rank must be at least 1, found " + rank);
        }
        if (alpha != null && !(alpha > 0 && Float.isFinite(alpha))) {
            throw new IllegalArgumentException("--alpha must be a positive number, found " + alpha);
        }
    }

    /**
     * The method's config.
     *
     * @throws IllegalArgumentException if an {@code extra} field is one the method does not read (it would be dropped
     *     without a word); the message lists the fields it reads
     */
    public AdapterConfig toConfig(List<String> modulesToSave) {
        ReadRecordingMap json = new ReadRecordingMap();
        json.put("r", rank);
        if (alpha != null) {
            json.put("lora_alpha", alpha);
        }
        if (init != null) {
            json.put("init_method", init);
        }
        json.put("train_sigma", trainSigma);
        json.put("target_modules", targets.size() == 1 && targets.get(0).equals("all-linear") ? "all-linear" : targets);
        json.put("modules_to_save", modulesToSave);
        if (extra != null) {
            json.putAll(extra);
        }
        AdapterConfig config = AdapterRegistry.defaultRegistry().byId(method).configFromJson(json);
        if (extra != null) {
            List<String> unknown = extra.keySet().stream().filter(k -> !json.read().contains(k)).toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("Unknown --method-arg " + unknown + " for method '" + method
                        + "'; it accepts " + json.read().stream().sorted().toList());
            }
        }
        return config;
    }
}
