package dev.peft4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.method.loldu.LolduConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny random ViT: shapes, slot names, targeting, autograd, memory, save and load. */
class VitModelTest {

    @TempDir
    Path temp;

    /** Standard normal pixels from a java.util.Random: the same seed gives the same images. */
    private static NDArray images(NDManager manager, int batch, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[batch * 784];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, new Shape(batch, 1, 28, 28));
    }

    @Test
    void logitsAreBatchByLabelsForSquareAndFlatImages() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(1, manager)) {
            NDArray square = images(manager, 3, 0);
            NDArray logits = model.forward(square, false);
            assertArrayEquals(new long[] {3, 10}, logits.getShape().getShape());
            NDArray flat = model.forward(square.reshape(3, 784), false);
            assertEquals(0f, logits.sub(flat).abs().max().getFloat(), 0f);
            assertArrayEquals(new long[] {3, 32}, model.classToken(square, false).getShape().getShape());
        }
    }

    @Test
    void patchesAreRowMajorBlocks() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(1, manager)) {
            float[] pixels = new float[784];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = i;
            }
            NDArray patches = model.patches(manager.create(pixels, new Shape(1, 784))); // [1, 16, 49]
            assertArrayEquals(new long[] {1, 16, 49}, patches.getShape().getShape());
            float[] p = patches.toFloatArray();
            // patch 1 is rows 0-6, columns 7-13: its first pixel is (0, 7), its 8th is (1, 7)
            assertEquals(7f, p[49], 0f);
            assertEquals(28f + 7f, p[49 + 7], 0f);
            // patch 4 starts the second row of patches: pixel (7, 0)
            assertEquals(7f * 28f, p[4 * 49], 0f);
        }
    }

    @Test
    void slotsAndParametersHaveHuggingFaceNames() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(1, manager)) {
            List<String> names = List.copyOf(model.linearLayers().keySet());
            assertEquals(1 + 2 * 6 + 1, names.size());
            assertEquals(List.of("embeddings.patch_embeddings.projection", "encoder.layer.0.attention.attention.query",
                    "encoder.layer.0.attention.attention.key", "encoder.layer.0.attention.attention.value",
                    "encoder.layer.0.attention.output.dense", "encoder.layer.0.intermediate.dense",
                    "encoder.layer.0.output.dense"), names.subList(0, 7));
            assertEquals("classifier", names.get(names.size() - 1));
            assertEquals(java.util.Set.of("classifier"), model.headModules());
            Map<String, NDArray> params = model.parameters();
            assertEquals(4 + 2 * 16 + 2 + 2, params.size());
            assertArrayEquals(new long[] {1, 17, 32},
                    params.get("embeddings.position_embeddings").getShape().getShape());
            assertArrayEquals(new long[] {32, 49},
                    params.get("embeddings.patch_embeddings.projection.weight").getShape().getShape());
            assertTrue(params.values().stream().noneMatch(NDArray::hasGradient), "frozen by default");
        }
    }

    @Test
    void initIsTruncatedNormalWithSeed() {
        try (NDManager manager = NDManager.newBaseManager();
                VitModel a = VitModel.randomTiny(8, manager);
                VitModel b = VitModel.randomTiny(8, manager);
                VitModel c = VitModel.randomTiny(9, manager)) {
            String name = "encoder.layer.1.output.dense.weight";
            NDArray w = a.parameters().get(name);
            assertEquals(0f, w.sub(b.parameters().get(name)).abs().max().getFloat(), 0f);
            assertNotEquals(0f, w.sub(c.parameters().get(name)).abs().max().getFloat());
            assertTrue(w.abs().max().getFloat() <= 0.04f + 1e-7f, "cut at two standard deviations");
            assertEquals(0.02f * 0.88f, (float) Math.sqrt(w.square().mean().getFloat()), 0.002f); // truncated std
            assertEquals(0f, a.parameters().get("encoder.layer.0.output.dense.bias").abs().sum().getFloat(), 0f);
        }
    }

    @Test
    void queryValueConfigTargetsExactlyTheAttentionProjections() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(2, manager)) {
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(8).optAlpha(8)
                    .optTargetModules("query", "value").optModulesToSave("classifier").build());
            List<String> adapted = model.linearLayers().values().stream().filter(s -> !s.adapterNames().isEmpty())
                    .map(s -> s.name()).toList();
            assertEquals(List.of("encoder.layer.0.attention.attention.query",
                    "encoder.layer.0.attention.attention.value", "encoder.layer.1.attention.attention.query",
                    "encoder.layer.1.attention.attention.value"), adapted);
            assertEquals(4 * 8, peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum());
            assertEquals(10 * 32 + 10,
                    peft.headParameters().values().stream().mapToLong(t -> t.getShape().size()).sum());
        }
    }

    @Test
    void allLinearSkipsTheHead() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(2, manager)) {
            Peft.wrap(model, LolduConfig.builder().setRank(4).optTargetModules("all-linear").build());
            assertTrue(model.head().adapterNames().isEmpty());
            assertEquals(13, model.linearLayers().values().stream().filter(s -> !s.adapterNames().isEmpty()).count());
        }
    }

    @Test
    void gradientsReachOnlyTrainableTensors() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(3, manager)) {
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(8).optAlpha(8)
                    .optTargetModules("query", "value").optModulesToSave("classifier").build());
            NDArray before = model.forward(images(manager, 2, 1), false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(model.forward(images(manager, 2, 1), true).square().mean());
            }
            for (Map.Entry<String, NDArray> e : peft.trainableParameters().entrySet()) {
                assertTrue(e.getValue().getGradient().abs().sum().getFloat() > 0f, e.getKey() + " got no gradient");
            }
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (!e.getKey().startsWith("classifier.")) {
                    assertFalse(e.getValue().hasGradient(), e.getKey() + " is frozen but tracks a gradient");
                }
            }
            // the same eval forward before and after a backward pass (no update): the same tensors through the same
            // kernels, and LoLDU adds exactly 0 at init (delta form), so bit for bit
            assertEquals(0f, before.sub(model.forward(images(manager, 2, 1), false)).abs().max().getFloat(), 0f,
                    "LoLDU's init is the identity: the adapted ViT equals the base");
        }
    }

    @Test
    void hundredTrainingStepsLeaveNothingOnTheModelManager() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(6, manager)) {
            Peft.wrap(model, LolduConfig.builder().setRank(8).optTargetModules("all-linear")
                    .optModulesToSave("classifier").build());
            int before = managed(model.manager());
            int rootBefore = managed(manager);
            for (int step = 0; step < 100; step++) {
                try (NDManager batch = model.manager().newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(model.forward(images(batch, 4, step), true).logSoftmax(1).mean().neg());
                }
            }
            assertEquals(before, managed(model.manager()), "forward/backward left tensors on the model's manager");
            assertEquals(rootBefore, managed(manager), "closed batch managers must leave nothing behind");
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(4, manager)) {
            NDArray x = images(manager, 2, 0);
            NDArray eval = model.forward(x, false);
            assertEquals(0f, eval.sub(model.forward(x, false)).abs().max().getFloat(), 0f);
            assertTrue(model.forward(x, true).sub(eval).abs().max().getFloat() > 1e-4f);
        }
    }

    @Test
    void rejectsImagesOfTheWrongSize() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(4, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(manager.zeros(new Shape(2, 1, 32, 32)), false));
            assertEquals("Images must be [batch, 784] or [batch, 1, 28, 28] for this ViT, found shape (2, 1, 32, 32); "
                    + "resize or pad to 28 x 28 pixels", e.getMessage());
        }
    }

    @Test
    void saveThenLoadGivesTheSameLogits() throws IOException {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(5, manager)) {
            model.save(temp);
            assertTrue(Files.readString(temp.resolve("config.json")).contains("\"num_hidden_layers\" : 2"));
            NDArray x = images(manager, 2, 3);
            try (VitModel loaded = VitModel.load(temp, manager)) {
                assertEquals(model.config(), loaded.config());
                assertEquals(0f, model.forward(x, false).sub(loaded.forward(x, false)).abs().max().getFloat(), 0f);
            }
            try (VitModel reheaded = VitModel.loadWithNewHead(temp, 3, 7, manager)) {
                assertEquals(3, reheaded.numLabels());
                assertEquals(0f, model.classToken(x, false).sub(reheaded.classToken(x, false)).abs().max()
                        .getFloat(), 0f, "the backbone is the saved one");
                assertArrayEquals(new long[] {2, 3}, reheaded.forward(x, false).getShape().getShape());
            }
        }
    }

    @Test
    void loadingWeightsOfAnotherShapeNamesTheTensor() throws IOException {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(5, manager)) {
            model.save(temp);
            Files.writeString(temp.resolve("config.json"), Files.readString(temp.resolve("config.json"))
                    .replace("\"intermediate_size\" : 64", "\"intermediate_size\" : 96"));
            AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> VitModel.load(temp, manager));
            assertEquals("encoder.layer.0.intermediate.dense.weight", e.key());
            assertTrue(e.getMessage().contains("shape [96, 32]") && e.getMessage().contains("shape [64, 32]"),
                    e.getMessage());
        }
    }

    @Test
    void configRejectsAPatchThatDoesNotDivideTheImage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(28, 5, 1, 32, 2, 4, 64, 10, 1e-6f, 0f, 0f));
        assertTrue(e.getMessage().contains("patchSize 5 does not divide imageSize 28"), e.getMessage());
    }

    private static int managed(NDManager manager) {
        return ((BaseNDManager) manager).getManagedArrays().size();
    }
}
