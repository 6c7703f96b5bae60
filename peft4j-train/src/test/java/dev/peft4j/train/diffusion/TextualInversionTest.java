package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.method.trainabletokens.TrainableTokensConfig;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.vision.ImageExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Textual Inversion on a tiny random DiT through the ordinary trainer: only the spare class row of
 * {@code y_embedder.embedding_table} trains, the adapter file holds that row alone, and it reloads onto a fresh copy
 * of the base with the same output.
 */
class TextualInversionTest {

    private static final String TABLE = "y_embedder.embedding_table.weight";
    /** The tiny DiT's table has 10 class rows and the null row 10; row 9 plays the spare row of a held-out concept. */
    private static final int CONCEPT = 9;
    private static final long SEED = 5;

    @TempDir
    Path temp;

    /** Images of the concept: a bright square at a random place on a dark background, labelled {@link #CONCEPT}. */
    private static List<ImageExample> concept(int count, long seed) {
        Random random = new Random(seed);
        List<ImageExample> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] pixels = new byte[784];
            int top = random.nextInt(18);
            int left = random.nextInt(18);
            for (int y = top; y < top + 10; y++) {
                for (int x = left; x < left + 10; x++) {
                    pixels[y * 28 + x] = (byte) 230;
                }
            }
            examples.add(new ImageExample(pixels, CONCEPT));
        }
        return examples;
    }

    /** The predicted noise for fixed inputs: the concept, two trained classes and the null class. */
    private static float[] prediction(DitModel model, NDManager manager) {
        Random random = new Random(77);
        float[] noisy = new float[4 * 784];
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] = (float) random.nextGaussian();
        }
        NDArray images = manager.create(noisy, new Shape(4, 1, 28, 28));
        NDArray timesteps = manager.create(new int[] {10, 400, 999, 250});
        NDArray labels = manager.create(new int[] {CONCEPT, 3, 10, CONCEPT});
        return model.forward(images, timesteps, labels).toFloatArray();
    }

    @Test
    void onlyTheConceptRowTrainsAndItsAdapterReloadsOntoAFreshBase() throws IOException {
        Path adapter = temp.resolve("adapter");
        float[] trainedPrediction;
        float[] baseTable;
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(SEED, manager)) {
            baseTable = model.parameters().get(TABLE).toFloatArray();
            int hidden = model.config().hiddenSize();
            PeftModel peft = Peft.wrap(model, TrainableTokensConfig.builder()
                    .optTargetModules("y_embedder.embedding_table").setTokenIndices(CONCEPT).build());
            assertEquals(hidden, peft.adapterParameterCount(), "one row of the table trains");
            DiffusionObjective objective = new DiffusionObjective(model, peft, NoiseSchedule.ddpmLinear(),
                    DiffusionObjective.DEFAULT_LABEL_DROPOUT); // dropped labels give the null row gradients too
            // weight decay moves every row of the table, gradient or not: the hook must undo it on the other rows
            TrainerConfig config = TrainerConfig.builder().optEpochs(2).optBatchSize(8).optLearningRate(5e-2f)
                    .optWeightDecay(0.1f).optSelectionMetric("loss").optSeed(3).optProgress(false).build();
            TrainResult result = new Trainer<>(objective, config).fit(concept(16, 1), concept(8, 2), concept(8, 2));
            assertEquals(hidden, result.adapterParameters());

            float[] table = model.parameters().get(TABLE).toFloatArray();
            for (int row = 0; row <= model.nullClass(); row++) {
                float[] before = Arrays.copyOfRange(baseTable, row * hidden, (row + 1) * hidden);
                float[] after = Arrays.copyOfRange(table, row * hidden, (row + 1) * hidden);
                if (row == CONCEPT) {
                    assertFalse(Arrays.equals(before, after), "the concept's row must have trained");
                } else {
                    // exact: the hook writes the saved originals back after every step
                    assertArrayEquals(before, after, 0f, "row " + row + " must stay the base's, bit for bit");
                }
            }
            trainedPrediction = prediction(model, manager);
            peft.save(adapter);
        }

        SafeTensors.Loaded file = SafeTensors.read(adapter.resolve("adapter_model.safetensors"));
        String key = "base_model.model.y_embedder.embedding_table.trainable_tokens_delta";
        assertEquals(List.of(key), List.copyOf(file.tensors().keySet()));
        TensorData delta = file.tensors().get(key);
        assertArrayEquals(new long[] {1, 32}, delta.shape());

        try (NDManager manager = NDManager.newBaseManager(); DitModel fresh = TinyDits.perturbed(SEED, manager)) {
            assertArrayEquals(baseTable, fresh.parameters().get(TABLE).toFloatArray(), 0f, "the same base again");
            PeftModel.load(fresh, adapter, false);
            // the same table values through the same kernels on the same inputs: the same bits
            assertArrayEquals(trainedPrediction, prediction(fresh, manager), 0f);
        }
    }
}
