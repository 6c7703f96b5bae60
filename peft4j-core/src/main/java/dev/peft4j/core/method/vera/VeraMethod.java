package dev.peft4j.core.method.vera;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers VeRA: id {@code vera}, peft_type {@code VERA}, tensors {@code vera_lambda_b} and
 * {@code vera_lambda_d} per layer, {@code base_model.vera_A}/{@code vera_B} once per adapter.
 */
public final class VeraMethod implements AdapterMethod {

    public static final String ID = "vera";

    /**
     * Projections of adapters being attached, keyed by the attach call: {@link LayerContext#notes()} is
     * one list per {@code PeftModel.attach}, shared by all its layers. Dropped once drawn.
     */
    private final Map<List<String>, VeraProjection> attaching = new IdentityHashMap<>();

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "VERA";
    }

    @Override
    public String prefix() {
        return "vera_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new VeraConfig(ConfigFields.positiveInt(json, "r"),
                ConfigFields.integer(json, "projection_prng_key", 0),
                ConfigFields.flag(json, "save_projection", true),
                ConfigFields.finiteFloat(json, "d_initial", 0.1f),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        VeraConfig vera = (VeraConfig) config;
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        VeraProjection projection;
        synchronized (attaching) {
            attaching.values().removeIf(VeraProjection::isDrawn);
            projection = attaching.computeIfAbsent(context.notes(),
                    key -> new VeraProjection(vera.projectionPrng(), vera.rank(), slot.weight().getManager()));
            projection.register(m, n);
        }
        float[] d0 = new float[vera.rank()];
        Arrays.fill(d0, vera.dInitial());
        return new VeraLayer(slot.weight(), projection, vera.saveProjection(), new float[m], d0);
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(VeraLayer.LAMBDA_B, new Shape(slot.outFeatures()));
        shapes.put(VeraLayer.LAMBDA_D, new Shape(((VeraConfig) config).rank()));
        return shapes;
    }
}
