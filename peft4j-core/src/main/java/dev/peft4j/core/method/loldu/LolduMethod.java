package dev.peft4j.core.method.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.decomp.LduDecomposition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Registers LoLDU: id {@code loldu}, peft_type {@code LOLDU}, tensors {@code loldu_*}. */
public final class LolduMethod implements AdapterMethod {

    public static final String ID = "loldu";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "LOLDU";
    }

    @Override
    public String prefix() {
        return "loldu_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        int rank = ((Number) json.get("r")).intValue();
        return new LolduConfig(rank,
                ((Number) json.getOrDefault("lora_alpha", rank)).floatValue(),
                LolduInit.fromId((String) json.getOrDefault("init_method", "lu")),
                Boolean.TRUE.equals(json.get("train_sigma")),
                ((Number) json.getOrDefault("init_seed", 42)).longValue(),
                TargetModules.fromJson(json.get("target_modules")),
                stringList(json.get("exclude_modules")),
                stringList(json.get("modules_to_save")));
    }

    private static List<String> stringList(Object value) {
        if (value == null) {
            return List.of();
        }
        return ((List<?>) value).stream().map(String::valueOf).toList();
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        LolduConfig loldu = (LolduConfig) config;
        LolduFactors factors = sharedFactors(loldu, slot, context);
        try {
            float[] pivots = factors.pivots().toFloatArray();
            float[] z0 = loldu.init().initialZ(pivots, new Random(loldu.seed() + context.layerIndex()));
            float[] c = loldu.init().identityAtInit() ? z0 : pivots;
            return new LolduLayer(slot.weight(), factors, c, z0, loldu.sigma0(), loldu.sigma0(), loldu.trainSigma());
        } catch (RuntimeException e) {
            factors.release();
            throw e;
        }
    }

    @Override
    public AdapterLayer restoreLayer(AdapterConfig config, LinearSlot slot, LayerContext context,
            Map<String, NDArray> state) {
        LolduConfig loldu = (LolduConfig) config;
        LolduFactors factors;
        if (state.containsKey(LolduLayer.LOWER)) {
            // a portable file carries its own factors (maybe of another base): this layer's alone, not cached
            int r = effectiveRank(loldu, slot);
            factors = LolduFactorCache.own(slot, new LolduLayer.Factors((int) slot.outFeatures(),
                    (int) slot.inFeatures(), r, state.get(LolduLayer.LOWER).toFloatArray(),
                    state.get(LolduLayer.PIVOTS).toFloatArray(), state.get(LolduLayer.UPPER).toFloatArray()));
        } else {
            factors = sharedFactors(loldu, slot, context);
        }
        try {
            return new LolduLayer(slot.weight(), factors, state.get(LolduLayer.OFFSET).toFloatArray(),
                    state.get(LolduLayer.Z).toFloatArray(), state.get(LolduLayer.SIGMA).toFloatArray()[0],
                    loldu.sigma0(), loldu.trainSigma());
        } catch (RuntimeException e) {
            factors.release();
            throw e;
        }
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        int r = effectiveRank((LolduConfig) config, slot);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(LolduLayer.Z, new Shape(r));
        shapes.put(LolduLayer.SIGMA, new Shape(1));
        shapes.put(LolduLayer.OFFSET, new Shape(r));
        if (portable) {
            shapes.put(LolduLayer.LOWER, new Shape(slot.outFeatures(), r));
            shapes.put(LolduLayer.UPPER, new Shape(r, slot.inFeatures()));
            shapes.put(LolduLayer.PIVOTS, new Shape(r));
        }
        return shapes;
    }

    private static int effectiveRank(LolduConfig config, LinearSlot slot) {
        return (int) Math.min(config.rank(), Math.min(slot.outFeatures(), slot.inFeatures()));
    }

    /** The slot's factors at the config's (capped) rank, shared with its other LoLDU adapters; acquired. */
    private static LolduFactors sharedFactors(LolduConfig config, LinearSlot slot, LayerContext context) {
        int r = effectiveRank(config, slot);
        if (r < config.rank()) {
            context.notes().add(slot.name() + " [" + slot.outFeatures() + "x" + slot.inFeatures() + "] rank capped "
                    + config.rank() + " -> " + r);
        }
        return LolduFactorCache.acquire(slot, r, () -> decompose(config, slot));
    }

    private static LolduLayer.Factors decompose(LolduConfig config, LinearSlot slot) {
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        // fp32 weights, decomposed in double in Java: pivots must match wherever the adapter loads.
        LduDecomposition ldu = LduDecomposition.truncated(slot.name(), slot.weight().toFloatArray(), m, n,
                config.rank());
        return new LolduLayer.Factors(m, n, ldu.rank(), ldu.lowerPermuted(), ldu.pivots(), ldu.unitUpper());
    }
}
