package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an adapter config selects in one model: the linear slots it adapts, the tensors of its modules to save, the
 * base parameters a {@link BaseParameterSelector} trains in place. A selection that finds nothing is an error naming
 * what the model has.
 */
final class ConfigSelection {

    private final AdaptableModel model;

    ConfigSelection(AdaptableModel model) {
        this.model = model;
    }

    /** The targeted slots minus the excluded ones, in the model's order. */
    List<LinearSlot> targetSlots(AdapterConfig config) {
        Map<String, LinearSlot> layers = model.linearLayers();
        List<LinearSlot> targets = new ArrayList<>();
        for (LinearSlot slot : layers.values()) {
            if (config.targetModules().matches(slot.name(), isHead(slot.name()))
                    && !TargetModules.matchesAny(config.excludeModules(), slot.name())) {
                targets.add(slot);
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("Target modules " + config.targetModules() + " matched none of the "
                    + layers.size() + " linear layers of " + model.modelName() + ". Its layer names end in: "
                    + String.join(", ", TargetModules.layerNameSuffixes(layers))
                    + ". Use e.g. targetModules(\"query\", \"value\") or \"all-linear\".");
        }
        return targets;
    }

    /** Whether {@code path} is (inside) one of the model's output heads. */
    boolean isHead(String path) {
        for (String head : model.headModules()) {
            if (path.equals(head) || path.startsWith(head + ".")) {
                return true;
            }
        }
        return false;
    }

    /** The parameters of the config's modules to save; empty when it names none. */
    Map<String, NDArray> modulesToSave(AdapterConfig config) {
        Map<String, NDArray> selected = new LinkedHashMap<>();
        if (config.modulesToSave().isEmpty()) {
            return selected;
        }
        model.parameters().forEach((name, tensor) -> {
            if (TargetModules.matchesAny(config.modulesToSave(), moduleOf(name))) {
                selected.put(name, tensor);
            }
        });
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("modulesToSave " + config.modulesToSave() + " matched no parameter of "
                    + model.modelName() + "; its heads are " + model.headModules());
        }
        return selected;
    }

    /**
     * The base parameters {@code selector} trains in place, minus {@code alreadySaved} (the modules to save own
     * those).
     */
    Map<String, NDArray> baseParameters(AdapterConfig config, BaseParameterSelector selector,
            Map<String, NDArray> alreadySaved) {
        Map<String, NDArray> selected = new LinkedHashMap<>();
        model.parameters().forEach((name, tensor) -> {
            if (!alreadySaved.containsKey(name) && selector.selects(name, isHead(moduleOf(name)))) {
                selected.put(name, tensor);
            }
        });
        Map<String, Shape> shapes = new LinkedHashMap<>();
        model.parameters().forEach((name, tensor) -> shapes.put(name, tensor.getShape()));
        Map<String, Shape> selectedShapes = new LinkedHashMap<>();
        selected.forEach((name, tensor) -> selectedShapes.put(name, tensor.getShape()));
        selector.checkSelection(model.modelName(), selectedShapes, shapes);
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("Method " + config.methodId() + " selected no parameter of "
                    + model.modelName() + " to train (its heads are " + model.headModules() + ", modules to save "
                    + config.modulesToSave() + "); choose a model with such parameters or another method");
        }
        return selected;
    }

    private static String moduleOf(String parameterName) {
        return parameterName.substring(0, Math.max(0, parameterName.lastIndexOf('.')));
    }
}
