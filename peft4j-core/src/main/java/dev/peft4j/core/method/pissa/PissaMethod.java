package dev.peft4j.core.method.pissa;

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
 * Registers PiSSA: id {@code pissa}, peft_type {@code PISSA}, tensors {@code pissa_A}, {@code pissa_B}
 * (and the initial {@code pissa_A0}, {@code pissa_B0} in portable files). peft itself stores PiSSA as
 * a LoRA; {@code exportLora} gives that form, against the unmodified base.
 */
public final class PissaMethod implements AdapterMethod {

    public static final String ID = "pissa";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "PISSA";
    }

    @Override
    public String prefix() {
        return "pissa_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        int rank = ConfigFields.positiveInt(json, "r");
        return new PissaConfig(rank, ConfigFields.finiteFloat(json, "lora_alpha", rank),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        PissaConfig pissa = (PissaConfig) config;
        return new PissaLayer(slot.weight(), factors(pissa, slot, context), pissa.scale());
    }

    @Override
    public AdapterLayer restoreLayer(AdapterConfig config, LinearSlot slot, LayerContext context,
            Map<String, NDArray> state) {
        PissaConfig pissa = (PissaConfig) config;
        PissaLayer.Factors factors = state.containsKey(PissaLayer.A0)
                ? new PissaLayer.Factors(effectiveRank(pissa, slot), state.get(PissaLayer.A0).toFloatArray(),
                        state.get(PissaLayer.B0).toFloatArray())
                : factors(pissa, slot, context);
        PissaLayer layer = new PissaLayer(slot.weight(), factors, pissa.scale());
        layer.loadState(state);
        return layer;
    }

    /** A0 = sqrt(S_r / scale) V_r^T [r, n], B0 = U_r sqrt(S_r / scale) [m, r], as peft's pissa init. */
    private static PissaLayer.Factors factors(PissaConfig config, LinearSlot slot, LayerContext context) {
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        SvdDecomposition svd = SvdDecomposition.truncated(slot.name(), slot.weight().toFloatArray(), m, n,
                config.rank());
        int r = svd.rank();
        if (r < config.rank()) {
            context.notes().add(slot.name() + " [" + m + "x" + n + "] rank capped " + config.rank() + " -> " + r);
        }
        float[] s = svd.singularValues();
        float[] u = svd.left();
        float[] vt = svd.rightTransposed();
        float[] a0 = new float[r * n];
        float[] b0 = new float[m * r];
        for (int k = 0; k < r; k++) {
            float root = (float) Math.sqrt(s[k] / config.scale());
            for (int j = 0; j < n; j++) {
                a0[k * n + j] = root * vt[k * n + j];
            }
            for (int i = 0; i < m; i++) {
                b0[i * r + k] = u[i * r + k] * root;
            }
        }
        return new PissaLayer.Factors(r, a0, b0);
    }

    private static int effectiveRank(PissaConfig config, LinearSlot slot) {
        return (int) Math.min(config.rank(), Math.min(slot.outFeatures(), slot.inFeatures()));
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        int r = effectiveRank((PissaConfig) config, slot);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(PissaLayer.A, new Shape(r, slot.inFeatures()));
        shapes.put(PissaLayer.B, new Shape(slot.outFeatures(), r));
        if (portable) {
            shapes.put(PissaLayer.A0, new Shape(r, slot.inFeatures()));
            shapes.put(PissaLayer.B0, new Shape(slot.outFeatures(), r));
        }
        return shapes;
    }
}
