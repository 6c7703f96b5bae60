package dev.peft4j.models.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny random DiT: shapes, adaLN-Zero, slot names, LoLDU at init, save and load. */
class DitModelTest {

    @TempDir
    Path temp;

    static NDArray images(NDManager manager, int batch, long seed) {
        Random random = new Random(seed);
        float[] values = new float[batch * 784];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, new Shape(batch, 1, 28, 28));
    }

    /**
     * Fills the tensors that DiT's init zeroes (modulations, head, biases) with N(0, 0.02): a model whose output
     * depends on every layer, as a trained one does.
     */
    static DitModel perturbed(DitModel model, long seed) {
        Random random = new Random(seed);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            if (e.getValue().abs().max().getFloat() == 0f) {
                perturb(e.getValue(), random);
            }
        }
        return model;
    }

    private static void perturb(NDArray tensor, Random random) {
        float[] values = new float[Math.toIntExact(tensor.getShape().size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.02f;
        }
        Tensors.overwrite(tensor, values);
    }

    private static NDArray forward(DitModel model, NDManager manager, long seed) {
        return model.forward(images(manager, 3, seed), manager.create(new int[] {0, 499, 999}),
                manager.create(new int[] {1, 7, 10}));
    }

    @Test
    void predictsNoiseOfTheImageShapeForSquareAndFlatImages() {
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = perturbed(DitModel.randomTiny(1, manager), 2)) {
            NDArray square = images(manager, 3, 0);
            NDArray t = manager.create(new int[] {0, 499, 999});
            NDArray y = manager.create(new int[] {1, 7, model.nullClass()});
            NDArray out = model.forward(square, t, y);
            assertArrayEquals(new long[] {3, 1, 28, 28}, out.getShape().getShape());
            assertEquals(0f, out.sub(model.forward(square.reshape(3, 784), t, y)).abs().max().getFloat(), 0f);
            assertTrue(out.abs().max().getFloat() > 0f);
        }
    }

    @Test
    void untrainedModelPredictsExactlyZeroNoise() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            // the output layer starts at zero (DiT's init), so whatever the blocks compute, the output is 0
            assertEquals(0f, forward(model, manager, 0).abs().max().getFloat(), 0f);
        }
    }

    @Test
    void zeroModulationMakesEveryBlockTheIdentity() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            // a live output layer, the blocks' modulations still zero: every gate is 0, so the blocks are skipped
            Random random = new Random(3);
            for (String name : List.of("final_layer.linear.weight", "final_layer.adaLN_modulation.1.weight")) {
                perturb(model.parameters().get(name), random);
            }
            NDArray before = forward(model, manager, 0);
            assertTrue(before.abs().max().getFloat() > 0f);
            perturb(model.parameters().get("blocks.0.attn.to_q.weight"), random);
            perturb(model.parameters().get("blocks.1.mlp.fc1.weight"), random);
            assertEquals(0f, before.sub(forward(model, manager, 0)).abs().max().getFloat(), 0f);
            // once a gate opens, the block counts
            perturb(model.parameters().get("blocks.0.adaLN_modulation.1.weight"), random);
            assertNotEquals(0f, before.sub(forward(model, manager, 0)).abs().max().getFloat());
        }
    }

    @Test
    void attentionProjectionsCarryDiffusersNames() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            assertTrue(model.linearLayers().keySet().containsAll(List.of("blocks.0.attn.to_q", "blocks.0.attn.to_k",
                    "blocks.0.attn.to_v", "blocks.0.attn.to_out.0", "blocks.1.mlp.fc1", "blocks.1.mlp.fc2",
                    "blocks.1.adaLN_modulation.1", "x_embedder.proj", "t_embedder.mlp.0", "final_layer.linear")));
            assertEquals(3 + 7 * 2 + 2, model.linearLayers().size());
            Peft.wrap(model, LolduConfig.builder().setRank(4)
                    .optTargetModules("to_q", "to_k", "to_v", "to_out.0").build());
            List<String> adapted = model.linearLayers().values().stream().filter(s -> !s.adapterNames().isEmpty())
                    .map(s -> s.name()).toList();
            assertEquals(List.of("blocks.0.attn.to_q", "blocks.0.attn.to_k", "blocks.0.attn.to_v",
                    "blocks.0.attn.to_out.0", "blocks.1.attn.to_q", "blocks.1.attn.to_k", "blocks.1.attn.to_v",
                    "blocks.1.attn.to_out.0"), adapted);
        }
    }

    @Test
    void aBareToOutNamesNoLinearLayer() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            // peft's rule: a target matches a path equal to it or ending in "." + it; the layer is to_out.0, as in
            // diffusers (whose LoRA scripts target "to_out.0")
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Peft.wrap(model, LolduConfig.builder().setRank(4).optTargetModules("to_out").build()));
            assertTrue(e.getMessage().contains("attn.to_out.0"), e.getMessage());
        }
    }

    @Test
    void lolduOnTheAttentionProjectionsStartsAsTheIdentity() {
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = perturbed(DitModel.randomTiny(4, manager), 5)) {
            NDArray before = forward(model, manager, 1);
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(8)
                    .optTargetModules("to_q", "to_k", "to_v", "to_out.0").build());
            assertEquals(8 * 4 * 2, peft.adapterParameters().values().stream()
                    .mapToLong(t -> t.getShape().size()).sum(), "r = 8 floats of z per slot, 4 slots x 2 blocks");
            // LoLDU adds its delta x (delta form), exactly 0 at init: bit for bit the base output
            assertEquals(0f, before.sub(forward(model, manager, 1)).abs().max().getFloat(), 0f);
        }
    }

    @Test
    void saveAndLoadKeepEveryTensorAndTheOutput() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = perturbed(DitModel.randomTiny(6, manager), 7)) {
            model.save(temp);
            assertTrue(Files.isRegularFile(temp.resolve("config.json")));
            try (DitModel loaded = DitModel.load(temp, manager)) {
                assertEquals(DitConfig.tiny(), loaded.config());
                assertEquals(model.parameters().keySet(), loaded.parameters().keySet());
                for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), loaded.parameters().get(e.getKey())
                            .toFloatArray(), 0f, e.getKey());
                }
                assertEquals(0f, forward(model, manager, 2).sub(forward(loaded, manager, 2)).abs().max()
                        .getFloat(), 0f);
                assertEquals(temp.toAbsolutePath().normalize().toString(), loaded.baseModelNameOrPath());
            }
        }
    }

    @Test
    void configFileNeedsEveryField() throws IOException {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(6, manager)) {
            model.save(temp);
        }
        Path config = temp.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_classes\"", "\"classes\""));
        IOException e = assertThrows(IOException.class, () -> DitConfig.load(temp));
        assertEquals(config + ": field 'num_classes' must be a number, found null; re-save the model with "
                + "DitModel.save", e.getMessage());
    }

    @Test
    void rejectsALabelBeyondTheNullClass() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(
                    images(manager, 1, 0), manager.create(new int[] {5}), manager.create(new int[] {11})));
            assertEquals("Label 11 is outside [0, 10]: this DiT has 10 classes and the null class 10",
                    e.getMessage());
        }
    }

    @Test
    void trainingStepsLeaveNothingOnTheModelManager() {
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = perturbed(DitModel.randomTiny(8, manager), 9)) {
            Peft.wrap(model, LolduConfig.builder().setRank(4).optTargetModules("to_q", "to_k", "to_v", "to_out.0")
                    .build());
            int before = managed(model.manager());
            int rootBefore = managed(manager);
            for (int step = 0; step < 20; step++) {
                try (NDManager batch = model.manager().newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(images(batch, 2, step), batch.create(new int[] {3, 900}),
                            batch.create(new int[] {2, 10}));
                    collector.backward(out.square().mean());
                }
            }
            assertEquals(before, managed(model.manager()), "forward/backward left tensors on the model's manager");
            assertEquals(rootBefore, managed(manager), "closed batch managers must leave nothing behind");
        }
    }

    private static int managed(NDManager manager) {
        return ((BaseNDManager) manager).getManagedArrays().size();
    }

    @Test
    void positionsFollowMaesSinCosLayout() {
        float[] p = DitEmbeddings.positions(4, 8); // quarter = 2: omega = 1, 1/100
        int patch = 1 * 4 + 2; // row 1, column 2
        assertEquals((float) Math.sin(2.0), p[patch * 8], 0f);
        assertEquals((float) Math.sin(2 * 0.01), p[patch * 8 + 1], 0f);
        assertEquals((float) Math.cos(2.0), p[patch * 8 + 2], 0f);
        assertEquals((float) Math.sin(1.0), p[patch * 8 + 4], 0f);
        assertEquals((float) Math.cos(0.01), p[patch * 8 + 7], 0f);
    }
}
