package dev.peft4j.core.method.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.decomp.LduDecomposition;
import java.util.LinkedHashMap;
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

    /**
     * U'_r = U / d row by row: partial pivoting bounds |Lp| by 1 but not U', whose rows are divided by pivots that
     * may be small (down to where fp32 division would overflow), so a legitimate portable U' can exceed any bound
     * tied to the base weight's size.
     */
    @Override
    public boolean exemptFromMagnitudeBound(String key) {
        return LolduLayer.UPPER.equals(key);
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        int rank = ConfigFields.positiveInt(json, "r");
        return new LolduConfig(rank,
                ConfigFields.finiteFloat(json, "lora_alpha", rank),
                LolduInit.fromId(ConfigFields.string(json, "init_method", "lu")),
                ConfigFields.flag(json, "train_sigma", false),
                ConfigFields.integer(json, "init_seed", 42),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        LolduConfig loldu = (LolduConfig) config;
        LolduFactors factors = sharedFactors(loldu, slot, context);
        try {
            float[] pivots = factors.pivots().toFloatArray();
            float[] z0 = loldu.init().initialZ(pivots, new Random(loldu.seed() + context.layerIndex()));
            float[] c = loldu.init().identityAtInit() ? z0 : pivots;
            return new LolduLayer(slot.weight(), factors, c, z0, loldu.sigma0(), loldu.sigma0(), loldu.trainSigma(),
                    !context.trainable());
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
                    loldu.sigma0(), loldu.trainSigma(), !context.trainable());
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
