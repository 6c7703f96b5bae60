package dev.peft4j.cli;

import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.AdapterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Which PEFT method and its knobs: shared by the commands that train ({@code train}, {@code experiment} cells). */
final class MethodOptions {

    @Option(names = "--method", defaultValue = "loldu",
            description = "PEFT method id (default: ${DEFAULT-VALUE}); see 'peft4j inspect --methods'.")
    String method;

    @Option(names = {"-r", "--rank"}, defaultValue = "64", description = "Rank r (default: ${DEFAULT-VALUE}; LoLDU caps it per layer; AdaLoRA ignores it for "
                    + "--method-arg init_r=12 --method-arg target_r=8).")
    int rank;

    @Option(names = "--alpha", description = "Scale numerator; LoLDU sigma0 = alpha / r (default: alpha = r).")
    Float alpha;

    @Option(names = "--init", description = "LoLDU init: lu, uniform, normal, constant, s_uniform, s_normal, ones, zeros (default: lu).")
    String init;

    @Option(names = "--train-sigma", description = "LoLDU: train the scale sigma too.")
    boolean trainSigma;

    @Option(names = "--targets", split = ",", defaultValue = "all-linear",
            description = "Target modules, comma-separated, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--method-arg", description = "Extra method field in peft's spelling, e.g. n_frequency=1000, init_r=12 (repeatable).")
    Map<String, String> methodArgs = new LinkedHashMap<>();

    /** The chosen method, or an error listing the registered ids. */
    MethodSpec spec() {
        MethodSpec spec = specWithoutConfig();
        spec.toConfig(List.of("classifier")); // an unknown --method-arg or a bad value fails now, not after loading
        return spec;
    }

    /**
     * The chosen method without building its config yet: for a command whose job fills placeholders in first (the
     * spare row of {@code personalise}) and builds it before loading anything.
     */
    MethodSpec specWithoutConfig() {
        if (!AdapterRegistry.defaultRegistry().methods().containsKey(method)) {
            throw new IllegalArgumentException("Invalid value for option '--method': '" + method + "'; accepted: "
                    + AdapterRegistry.defaultRegistry().methods().keySet());
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        methodArgs.forEach((k, v) -> extra.put(k, parseNumber(v)));
        return new MethodSpec(method, rank, alpha, init, targets, trainSigma, extra);
    }

    private static Object parseNumber(String value) {
        try {
            return value.contains(".") ? (Object) Double.parseDouble(value) : (Object) Long.parseLong(value);
        } catch (NumberFormatException e) {
            return value;
        }
    }
}
