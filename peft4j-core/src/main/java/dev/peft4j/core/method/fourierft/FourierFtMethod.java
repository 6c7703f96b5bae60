package dev.peft4j.core.method.fourierft;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** Registers FourierFT: id {@code fourierft}, peft_type {@code FOURIERFT}, tensor {@code fourierft_spectrum}. */
public final class FourierFtMethod implements AdapterMethod {

    public static final String ID = "fourierft";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "FOURIERFT";
    }

    @Override
    public String prefix() {
        return "fourierft_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new FourierFtConfig(ConfigFields.positiveInt(json, "n_frequency", 1000),
                ConfigFields.finiteFloat(json, "scaling", 150),
                ConfigFields.integer(json, "random_loc_seed", 777),
                ConfigFields.flag(json, "init_weights", false),
                ConfigFields.targetModules(json),
                ConfigFields.stringList(json, "exclude_modules"),
                ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        FourierFtConfig fourier = (FourierFtConfig) config;
        int m = (int) slot.outFeatures();
        int n = (int) slot.inFeatures();
        int f = fourier.nFrequency();
        if ((long) m * n < f) {
            throw new IllegalArgumentException("FourierFT nFrequency " + f + " exceeds the " + (long) m * n
                    + " entries of " + slot.name() + " [" + m + "x" + n + "]; use nFrequency <= " + (long) m * n
                    + " or exclude that layer");
        }
        long[] positions = distinctPositions((long) m * n, f, new Random(fourier.randomLocSeed()));
        int[] rows = new int[f];
        int[] cols = new int[f];
        for (int j = 0; j < f; j++) {
            rows[j] = (int) (positions[j] / n);
            cols[j] = (int) (positions[j] % n);
        }
        float[] spectrum0 = new float[f];
        if (!fourier.initZeros()) {
            Random rng = new Random(fourier.randomLocSeed() + 1 + context.layerIndex());
            for (int j = 0; j < f; j++) {
                spectrum0[j] = (float) rng.nextGaussian();
            }
        }
        return new FourierFtLayer(slot.weight(), rows, cols, fourier.scaling(), spectrum0);
    }

    /** The first {@code count} entries of a seeded random permutation of {@code 0..size-1} (peft's randperm[:n]). */
    static long[] distinctPositions(long size, int count, Random rng) {
        Map<Long, Long> swapped = new HashMap<>(); // sparse Fisher-Yates: only touched entries are stored
        long[] picked = new long[count];
        for (int i = 0; i < count; i++) {
            long j = i + (long) (rng.nextDouble() * (size - i));
            long atJ = swapped.getOrDefault(j, j);
            long atI = swapped.getOrDefault((long) i, (long) i);
            picked[i] = atJ;
            swapped.put(j, atI);
        }
        return picked;
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of(FourierFtLayer.SPECTRUM, new Shape(((FourierFtConfig) config).nFrequency()));
    }
}
