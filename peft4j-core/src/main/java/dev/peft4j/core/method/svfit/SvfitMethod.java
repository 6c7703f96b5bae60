package dev.peft4j.core.method.svfit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.decomp.SvdDecomposition;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Registers SVFit: id {@code svfit}, peft_type {@code SVFIT}, tensor {@code svfit_s} (plus the factors
 * {@code svfit_U}, {@code svfit_Vt}, {@code svfit_s0} in portable files, so loading needs no SVD).
 */
public final class SvfitMethod implements AdapterMethod {

    public static final String ID = "svfit";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "SVFIT";
    }

    @Override
    public String prefix() {
        return "svfit_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new SvfitConfig(ConfigFields.positiveInt(json, "r"),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        return new SvfitLayer(slot.weight(), decompose((SvfitConfig) config, slot, context));
    }

    @Override
    public AdapterLayer restoreLayer(AdapterConfig config, LinearSlot slot, LayerContext context,
            Map<String, NDArray> state) {
        SvfitLayer.Factors factors = state.containsKey(SvfitLayer.U)
                ? new SvfitLayer.Factors((int) slot.outFeatures(), (int) slot.inFeatures(),
                        effectiveRank((SvfitConfig) config, slot), state.get(SvfitLayer.U).toFloatArray(),
                        state.get(SvfitLayer.S0).toFloatArray(), state.get(SvfitLayer.VT).toFloatArray())
                : decompose((SvfitConfig) config, slot, context);
        SvfitLayer layer = new SvfitLayer(slot.weight(), factors);
        layer.loadState(state);
        return layer;
    }

    private static SvfitLayer.Factors decompose(SvfitConfig config, LinearSlot slot, LayerContext context) {
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        SvdDecomposition svd = SvdDecomposition.truncated(slot.name(), slot.weight().toFloatArray(), m, n,
                config.rank());
        if (svd.rank() < config.rank()) {
            context.notes().add(slot.name() + " [" + m + "x" + n + "] rank capped " + config.rank() + " -> "
                    + svd.rank());
        }
        return new SvfitLayer.Factors(m, n, svd.rank(), svd.left(), svd.singularValues(), svd.rightTransposed());
    }

    private static int effectiveRank(SvfitConfig config, LinearSlot slot) {
        return (int) Math.min(config.rank(), Math.min(slot.outFeatures(), slot.inFeatures()));
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        int r = effectiveRank((SvfitConfig) config, slot);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(SvfitLayer.S, new Shape(r));
        if (portable) {
            shapes.put(SvfitLayer.U, new Shape(slot.outFeatures(), r));
            shapes.put(SvfitLayer.VT, new Shape(r, slot.inFeatures()));
            shapes.put(SvfitLayer.S0, new Shape(r));
        }
        return shapes;
    }
}
