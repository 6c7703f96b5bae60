package dev.peft4j.core.method.adalora;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.TrainingHook;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Registers AdaLoRA: id {@code adalora}, peft_type {@code ADALORA}, tensors {@code lora_A} [r, n], {@code lora_E}
 * [r, 1] and {@code lora_B} [m, r] (peft's keys for AdaLoRA, without LoRA's {@code .weight}): r = init_r, or, for
 * a module the config's rank_pattern names, the triplets it kept (saved after training, as peft saves them). The prefix is {@code adalora_}: peft registers AdaLoRA under
 * LoRA's {@code lora_}, but this registry keeps prefixes unique, and the keys tell the two apart anyway. Its
 * {@link TrainingHook} is the rank allocator with the orthogonality regulariser.
 */
public final class AdaLoraMethod implements AdapterMethod {

    public static final String ID = "adalora";
    private static final Logger LOG = Logger.getLogger(AdaLoraMethod.class.getName());
    /** peft's std of A's and B's normal init ({@code reset_lora_parameters}). */
    private static final double INIT_STD = 0.02;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "ADALORA";
    }

    @Override
    public String prefix() {
        return "adalora_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        Object r = json.get("r");
        if (r instanceof Number number && number.doubleValue() != 8) {
            // peft's own warning: r is LoraConfig's field (default 8), which AdaLoRA ignores
            LOG.warning("AdaLoRA ignores r = " + r + ": its ranks are init_r and target_r (e.g. init_r 12, target_r 8)");
        }
        Object totalStep = json.get("total_step");
        return new AdaLoraConfig(ConfigFields.positiveInt(json, "init_r", 12),
                count(json, "target_r", 8), count(json, "tinit", 0), count(json, "tfinal", 0),
                ConfigFields.positiveInt(json, "deltaT", 1),
                ConfigFields.finiteFloat(json, "beta1", 0.85f),
                ConfigFields.finiteFloat(json, "beta2", 0.85f),
                ConfigFields.finiteFloat(json, "orth_reg_weight", 0.5f),
                totalStep == null ? null : ConfigFields.positiveInt(json, "total_step"),
                rankPattern(json),
                ConfigFields.finiteFloat(json, "lora_alpha", 8),
                ConfigFields.finiteFloat(json, "lora_dropout", 0),
                ConfigFields.integer(json, "init_seed", 42),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    /** A count that may be 0: an integral JSON number in [0, Integer.MAX_VALUE], or {@code fallback} when absent. */
    private static int count(Map<String, Object> json, String key, int fallback) {
        long value = ConfigFields.integer(json, key, fallback);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new ConfigFields.FieldException(key, "an integer >= 0", value + " (a number)",
                    "correct the field in adapter_config.json, or save the adapter again");
        }
        return (int) value;
    }

    /** rank_pattern: absent, or an object of {@code <module path>.lora_E} to lists of true/false. */
    private static Map<String, List<Boolean>> rankPattern(Map<String, Object> json) {
        Map<String, Object> object = ConfigFields.object(json, "rank_pattern");
        if (object == null) {
            return null;
        }
        Map<String, List<Boolean>> pattern = new LinkedHashMap<>();
        object.forEach((key, value) -> {
            if (!(value instanceof List<?> list) || !list.stream().allMatch(Boolean.class::isInstance)) {
                throw new ConfigFields.FieldException("rank_pattern", "lists of true/false (kept triplets) per "
                        + "<module path>.lora_E", "'" + key + "': " + value, "correct the field in adapter_config.json, "
                        + "or save the adapter again");
            }
            pattern.put(key, list.stream().map(Boolean.class::cast).toList());
        });
        return pattern;
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        AdaLoraConfig adalora = (AdaLoraConfig) config;
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        int r = adalora.initR();
        // peft's reset_lora_parameters: E zeros (the identity at init), A and B normal with std 0.02
        Random rng = new Random(adalora.seed() + context.layerIndex());
        float[] a = normal(r * n, rng);
        float[] b = normal(m * r, rng);
        return new AdaLoraLayer(slot.weight(), new AdaLoraLayer.Factors(r, a, new float[r], b), adalora,
                adalora.keptTriplets(slot.name()));
    }

    private static float[] normal(int size, Random rng) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (rng.nextGaussian() * INIT_STD);
        }
        return values;
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        AdaLoraConfig adalora = (AdaLoraConfig) config;
        boolean[] kept = adalora.keptTriplets(slot.name());
        int r = kept == null ? adalora.initR() : AdaLoraLayer.count(kept);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(AdaLoraLayer.A, new Shape(r, slot.inFeatures()));
        shapes.put(AdaLoraLayer.B, new Shape(slot.outFeatures(), r));
        shapes.put(AdaLoraLayer.E, new Shape(r, 1));
        return shapes;
    }

    @Override
    public TrainingHook trainingHook(AdapterConfig config, Map<String, AdapterLayer> layers,
            Consumer<AdapterConfig> configUpdate) {
        Map<String, AdaLoraLayer> own = new LinkedHashMap<>();
        layers.forEach((path, layer) -> own.put(path, (AdaLoraLayer) layer));
        return new AdaLoraTraining((AdaLoraConfig) config, own, configUpdate);
    }
}
