package dev.peft4j.core.method.adalora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.AdapterRegistry;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.adapter.TrainingHook;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.nd.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdaLoRA's hook driven by a plain loop (forward, loss plus the hook's extra loss, backward, an SGD step, the hook's
 * after-step call) on the toy MLP with both layers adapted: init_r 4, target_r 2, so 8 triplets go down to 4.
 * Six steps with tinit 1 and tfinal 2: step 1 warm-up, steps 2 and 3 decreasing (budgets 5 and 4), step 4 the final
 * allocation, steps 5 and 6 the fixed pattern.
 */
class AdaLoraTrainingTest {

    private static final long SEED = 21;
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    private static AdaLoraConfig config() {
        return AdaLoraConfig.builder().optInitR(4).optTargetR(2).optSchedule(1, 2, 1)
                .optTargetModules("lin0", "lin1").build();
    }

    private static NDArray input(NDManager manager) {
        java.util.Random rng = new java.util.Random(7);
        float[] x = new float[8 * 10];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return manager.create(x, new Shape(8, 10));
    }

    private static float[] output(ToyMlp model) {
        try (NDManager batch = NDManager.newBaseManager()) {
            return model.forward(input(batch)).toFloatArray();
        }
    }

    /** Steps {@code from..to} (1-based) of forward, backward of loss + extra loss, SGD, the hook, cleared gradients. */
    private static void train(ToyMlp model, PeftModel peft, TrainingHook hook, int from, int to) {
        Map<String, NDArray> params = peft.trainableParameters();
        for (int step = from; step <= to; step++) {
            try (NDManager batch = NDManager.newBaseManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(input(batch));
                NDArray loss = out.mul(batch.arange(1f, 1f + out.getShape().size()).reshape(out.getShape()).sin())
                        .sum();
                NDArray extra = hook.extraLoss(batch);
                collector.backward(extra == null ? loss : loss.add(extra));
            }
            params.values().forEach(p -> {
                float[] v = p.toFloatArray();
                float[] g = p.getGradient().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] -= 0.05f * g[i];
                }
                Tensors.overwrite(p, v);
            });
            hook.afterStep(step, STEPS);
            params.values().forEach(p -> {
                try (NDArray g = p.getGradient()) {
                    g.muli(0);
                }
            });
        }
    }

    private static int keptCount(AdaLoraConfig config) {
        return (int) config.rankPattern().values().stream().flatMap(List::stream).filter(b -> b).count();
    }

    @Test
    void aRunEndsAtTheTargetBudgetAndItsSavedAdapterKeepsOnlyTheKeptTriplets() throws Exception {
        float[] trained;
        Map<String, List<Boolean>> pattern;
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            TrainingHook hook = peft.trainingHook();
            hook.start(STEPS);
            assertEquals(STEPS, ((AdaLoraConfig) peft.adapterConfig("default")).totalStep(), "the run's total recorded");
            train(model, peft, hook, 1, 1);
            assertNull(((AdaLoraConfig) peft.adapterConfig("default")).rankPattern(), "no allocation in the warm-up");
            train(model, peft, hook, 2, 2);
            assertEquals(5, keptCount((AdaLoraConfig) peft.adapterConfig("default")), "floor(4 (2/3)^3 + 4) = 5");
            train(model, peft, hook, 3, 4);
            pattern = ((AdaLoraConfig) peft.adapterConfig("default")).rankPattern();
            assertEquals(4, keptCount((AdaLoraConfig) peft.adapterConfig("default")), "target_r 2 x 2 layers");
            train(model, peft, hook, 5, STEPS);
            assertEquals(pattern, ((AdaLoraConfig) peft.adapterConfig("default")).rankPattern(), "fixed after step 4");
            for (String layer : List.of("lin0", "lin1")) {
                float[] e = peft.trainableParameters().get("base_model.model." + layer + ".lora_E").toFloatArray();
                List<Boolean> kept = pattern.get(layer + ".lora_E");
                for (int i = 0; i < e.length; i++) {
                    assertEquals(kept.get(i), e[i] != 0f, layer + " E[" + i + "] is zero exactly when masked");
                }
            }
            trained = output(model);
            peft.save(tmp);
        }
        Map<?, ?> json = new ObjectMapper().readValue(tmp.resolve("adapter_config.json").toFile(), Map.class);
        assertEquals("ADALORA", json.get("peft_type"));
        assertEquals(STEPS, json.get("total_step"));
        assertEquals(pattern, json.get("rank_pattern"));
        SafeTensors.Loaded file = SafeTensors.read(tmp.resolve("adapter_model.safetensors"));
        for (String layer : List.of("lin0", "lin1")) {
            long k = pattern.get(layer + ".lora_E").stream().filter(b -> b).count();
            assertEquals(k, file.tensors().get("base_model.model." + layer + ".lora_E").shape()[0],
                    layer + ": only the kept triplets are saved, as peft saves them");
            assertEquals(k, file.tensors().get("base_model.model." + layer + ".lora_B").shape()[1]);
        }
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel.load(model, tmp, false);
            // the kept triplets go back to their places and the dropped ones are zero in A ⊙ E either way: the same
            // kernels on the same nonzero values, so the output is the trained one bit for bit
            assertArrayEquals(trained, output(model), "saved and loaded after allocation");
        }
    }

    @Test
    void theFinalPhaseMasksWhatTheOptimiserMoves() {
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            TrainingHook hook = peft.trainingHook();
            hook.start(STEPS);
            train(model, peft, hook, 1, 4);
            NDArray e = peft.trainableParameters().get("base_model.model.lin0.lora_E");
            List<Boolean> kept = ((AdaLoraConfig) peft.adapterConfig("default")).rankPattern().get("lin0.lora_E");
            int masked = kept.indexOf(false);
            assertTrue(masked >= 0, "target_r 2 of 4 leaves a masked triplet in lin0 or the test needs another seed");
            // one step without the hook: the gradient moves the masked entry off zero ...
            TrainingHook none = TrainingHook.NONE;
            train(model, peft, none, 5, 5);
            assertNotEquals(0f, e.toFloatArray()[masked], "the optimiser moves a masked E entry");
            // ... and the final phase's after-step call zeroes it again
            hook.afterStep(6, STEPS);
            assertEquals(0f, e.toFloatArray()[masked], 0f);
        }
    }

    @Test
    void aRestoredHookContinuesAsTheUninterruptedOne() {
        float[] uninterrupted;
        Map<String, List<Boolean>> pattern;
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            TrainingHook hook = peft.trainingHook();
            hook.start(STEPS);
            train(model, peft, hook, 1, STEPS);
            uninterrupted = output(model);
            pattern = ((AdaLoraConfig) peft.adapterConfig("default")).rankPattern();
        }
        Map<String, float[]> params = new LinkedHashMap<>();
        Map<String, float[]> state;
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            TrainingHook hook = peft.trainingHook();
            hook.start(STEPS);
            train(model, peft, hook, 1, 2); // stopped in the decreasing phase, with averages and a pattern
            peft.trainableParameters().forEach((k, v) -> params.put(k, v.toFloatArray()));
            state = hook.state();
        }
        assertTrue(state.containsKey("ema_ipt.lin0.lora_A") && state.containsKey("rank_pattern.lin1"), state.keySet()
                .toString());
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            peft.trainableParameters().forEach((k, v) -> Tensors.overwrite(v, params.get(k)));
            TrainingHook hook = peft.trainingHook();
            hook.start(STEPS);
            hook.restore(state);
            train(model, peft, hook, 3, STEPS);
            // the same fp32 values through the same operations: bit for bit
            assertArrayEquals(uninterrupted, output(model));
            assertEquals(pattern, ((AdaLoraConfig) peft.adapterConfig("default")).rankPattern());
        }
    }

    @Test
    void aScheduleThatLeavesNoDecreasingPhaseIsRefusedBeforeTraining() {
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, AdaLoraConfig.builder().optInitR(4).optTargetR(2).optSchedule(5, 5, 1)
                    .optTargetModules("lin0").build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> peft.trainingHook().start(8));
            assertTrue(e.getMessage().contains("this run's optimiser steps 8"), e.getMessage());
        }
    }

    @Test
    void theConfigReadsBackFromItsJsonWithTheRankPattern() {
        Map<String, boolean[]> kept = new LinkedHashMap<>();
        kept.put("lin0", new boolean[] {true, false, true, false});
        AdaLoraConfig config = AdaLoraConfig.builder().optInitR(4).optTargetR(2).optSchedule(1, 2, 3)
                .optBetas(0.8f, 0.9f).optOrthRegWeight(0.25f).optTotalStep(50).optAlpha(16).optDropout(0.1f)
                .optSeed(9).optTargetModules("lin0").optModulesToSave("lin1").build().withRankPattern(kept);
        Map<String, Object> json = new LinkedHashMap<>(config.methodFields());
        json.put("target_modules", config.targetModules().toJson());
        json.put("modules_to_save", config.modulesToSave());
        assertEquals(config, AdapterRegistry.defaultRegistry().byId("adalora").configFromJson(json));
        json.put("rank_pattern", Map.of("lin0.lora_E", List.of(true, false)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdapterRegistry.defaultRegistry().byId("adalora").configFromJson(json));
        assertTrue(e.getMessage().contains("init_r = 4 flags, found 2 flags"), e.getMessage());
    }
}
