package dev.peft4j.core.method.melora;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.method.lora.LoraMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Registers MELoRA: id {@code melora}, peft_type {@code MELORA}, tensors {@code melora_A} {@code [c, r, n/c]} and
 * {@code melora_B} {@code [c, m/c, r]} (the c mini LoRAs stacked). A layer whose dimensions {@code mel_count} does not
 * divide is refused, naming the layer and the counts that would fit.
 */
public final class MeloraMethod implements AdapterMethod {

    public static final String ID = "melora";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "MELORA";
    }

    @Override
    public String prefix() {
        return "melora_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        if (json.get("r") instanceof List<?> ranks) {
            boolean uniform = !ranks.isEmpty() && ranks.stream().distinct().count() == 1;
            throw new ConfigFields.FieldException("r", "one integer, the rank of every mini LoRA",
                    ranks + " (a list, the MELoRA reference implementation's spelling: one rank per mini LoRA)",
                    "peft4j's MELoRA gives all mini LoRAs one rank and reads their number from mel_count: write "
                    + (uniform ? "\"r\": " + ranks.get(0) + ", \"mel_count\": " + ranks.size()
                            : "one \"r\" for all of them and \"mel_count\"")
                    + ", and one number for lora_alpha");
        }
        int rank = ConfigFields.positiveInt(json, "r");
        return new MeloraConfig(rank,
                ConfigFields.finiteFloat(json, "lora_alpha", rank),
                ConfigFields.positiveInt(json, "mel_count", 2),
                ConfigFields.finiteFloat(json, "lora_dropout", 0),
                ConfigFields.integer(json, "init_seed", 42),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        MeloraConfig melora = (MeloraConfig) config;
        requireDivisible(slot, melora.melCount());
        int blockIn = (int) slot.inFeatures() / melora.melCount();
        // peft's lora_A init for each mini LoRA, an nn.Linear(n/c, r): U(-1/sqrt(n/c), 1/sqrt(n/c)), c blocks in a row
        float[] a0 = LoraMethod.kaimingUniform(melora.equivalentRank(), blockIn,
                new Random(melora.seed() + context.layerIndex()));
        return new MeloraLayer(slot.weight(), a0, melora);
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        MeloraConfig melora = (MeloraConfig) config;
        int c = melora.melCount();
        requireDivisible(slot, c);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(MeloraLayer.A, new Shape(c, melora.rank(), slot.inFeatures() / c));
        shapes.put(MeloraLayer.B, new Shape(c, slot.outFeatures() / c, melora.rank()));
        return shapes;
    }

    /** Refuses a slot whose in or out features {@code melCount} does not divide into equal blocks. */
    static void requireDivisible(LinearSlot slot, int melCount) {
        long m = slot.outFeatures();
        long n = slot.inFeatures();
        if (m % melCount == 0 && n % melCount == 0) {
            return;
        }
        throw new IllegalArgumentException("MELoRA mel_count " + melCount + " does not divide the dimensions of "
                + slot.name() + " [" + m + "x" + n + "] (out x in): each of the " + melCount + " mini LoRAs takes an "
                + "equal block of the input and of the output features. Choose a mel_count dividing both " + m
                + " and " + n + " (" + commonDivisors(m, n) + "), or exclude that layer");
    }

    /** The divisors above 1 of both numbers, the first few: the mel_counts the layer accepts. */
    private static String commonDivisors(long m, long n) {
        List<Long> divisors = new ArrayList<>();
        for (long d = 2; d <= Math.min(m, n) && divisors.size() < 8; d++) {
            if (m % d == 0 && n % d == 0) {
                divisors.add(d);
            }
        }
        if (divisors.isEmpty()) {
            return "only 1, which is plain LoRA";
        }
        StringBuilder text = new StringBuilder("e.g.");
        divisors.forEach(d -> text.append(' ').append(d).append(','));
        text.setLength(text.length() - 1);
        return text.toString();
    }
}
