package dev.peft4j.core.method.lora;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Registers LoRA: id {@code lora}, peft_type {@code LORA}, tensors {@code lora_A.weight} and
 * {@code lora_B.weight} (peft's keys, so files go both ways, including peft4j's LoRA exports).
 */
public final class LoraMethod implements AdapterMethod {

    public static final String ID = "lora";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "LORA";
    }

    @Override
    public String prefix() {
        return "lora_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        for (String pattern : new String[] {"rank_pattern", "alpha_pattern"}) {
            Map<String, Object> map = ConfigFields.object(json, pattern);
            if (map != null && !map.isEmpty()) {
                throw new IllegalArgumentException(pattern + " " + map + " gives some layers their own rank or alpha; "
                        + "peft4j's LoRA reads one r and lora_alpha for all layers: re-export with a uniform rank");
            }
        }
        int rank = ConfigFields.positiveInt(json, "r");
        return new LoraConfig(rank,
                ConfigFields.finiteFloat(json, "lora_alpha", 8),
                ConfigFields.finiteFloat(json, "lora_dropout", 0),
                ConfigFields.flag(json, "use_rslora", false),
                ConfigFields.integer(json, "init_seed", 42),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        LoraConfig lora = (LoraConfig) config;
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        float[] a0 = kaimingUniform(lora.rank(), n, new Random(lora.seed() + context.layerIndex()));
        return new LoraLayer(slot.weight(), a0, new float[m * lora.rank()], lora.rank(), lora.scale(),
                lora.dropout());
    }

    /**
     * torch's {@code kaiming_uniform_(w, a=sqrt(5))} for a {@code [rows, fanIn]} weight, as
     * {@code nn.Linear} and peft initialise lora_A (and VeRA its projections): U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
     */
    public static float[] kaimingUniform(int rows, int fanIn, Random rng) {
        // gain = sqrt(2 / (1 + a^2)) = sqrt(1/3); bound = sqrt(3) * gain / sqrt(fanIn) = 1 / sqrt(fanIn)
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] values = new float[rows * fanIn];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return values;
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        int r = ((LoraConfig) config).rank();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(LoraLayer.A, new Shape(r, slot.inFeatures()));
        shapes.put(LoraLayer.B, new Shape(slot.outFeatures(), r));
        return shapes;
    }
}
