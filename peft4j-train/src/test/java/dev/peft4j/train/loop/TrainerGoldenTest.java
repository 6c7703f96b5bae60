package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.train.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bit-identity with the trainer as it was before it became task-agnostic: the values below were recorded from the
 * classification-only {@code Trainer<E>} (cross-entropy over {@code Classifier} logits, {@code ClassificationMetrics})
 * on this exact run, before the refactoring. The run exercises what must not change: shuffled data order, dropout
 * seeded per micro-batch (input dropout 0.25), gradient accumulation (2 micro-batches per step, an odd count per
 * epoch), AdamW with weight decay, warm-up and decay, two learning rates, best-epoch selection (by MCC) and the
 * restored best tensors. Every figure is compared bit for bit.
 *
 * <p>The numbers also depend on peft4j-core's LoLDU layer and ToyMlp: a deliberate numeric change there means
 * re-recording them (run this test's configuration on the old trainer and print the raw bits).
 */
class TrainerGoldenTest {

    /** Per epoch: train loss, then validation count, accuracy, f1, mcc, loss, as raw double bits. */
    private static final long[][] EPOCHS = {
        {0x3fe28a03e9d89d8aL, 30L, 0x3fe3333333333333L, 0x3fe6666666666666L, 0x3fd77b48d96dbd22L, 0x3fe8d0bb1999999aL},
        {0x3fe144aef94ec4ecL, 30L, 0x3fe4444444444444L, 0x3fe6f96f96f96f97L, 0x3fdac5eb3f7ab2f7L, 0x3fe5be6a6aaaaaabL},
        {0x3fddb61c67627627L, 30L, 0x3fe5555555555555L, 0x3fe79435e50d7943L, 0x3fddeeea11683f49L, 0x3fe28d5e40000000L},
    };
    /** Test count, accuracy, f1, mcc, loss. */
    private static final long[] TEST = {40L, 0x3fea666666666666L, 0x3feb9b9b9b9b9b9cL, 0x3fe5c9caf30ed692L, 0x3fd8b4b4b999999aL};
    /** The mean training loss logged at each optimiser step (metrics.jsonl), as raw double bits. */
    private static final long[] STEP_LOSSES = {
        0x3fe9a8a340000000L, 0x3fe84ed508000000L, 0x3fe647fdb0000000L, 0x3fe3a0f050000000L,
        0x3fe3dca78999999aL, 0x3fe3edf5c2aaaaabL, 0x3fe28a03e9d89d8aL, 0x3fe736d0b0000000L,
        0x3fe0445316000000L, 0x3fe09eac06aaaaabL, 0x3fddfaf29f000000L, 0x3fe20fb309333333L,
        0x3fe2a14fb7aaaaabL, 0x3fe144aef94ec4ecL, 0x3fe1bbcb30000000L, 0x3fdf293598000000L,
        0x3fdea052c0000000L, 0x3fddc0f538000000L, 0x3fe0189486666666L, 0x3fdebacd95555555L,
        0x3fddb61c67627627L,
    };
    /** Final trainable tensors (the best epoch restored), as raw float bits. */
    private static final Map<String, int[]> PARAMS = new LinkedHashMap<>();
    static {
        PARAMS.put("base_model.model.lin0.loldu_z", new int[] {
            0xbf63a216, 0xbff9cf3b, 0x3fa32f3a, 0xbf73dc18, 0xbf917e71, 0x3fa1059f, 0xbfa60a27, 0x3f81e29e,
            0xbfbb7838, 0x3f8b272e,
        });
        PARAMS.put("base_model.model.lin1.weight", new int[] {
            0x3ef898c1, 0x3e06b00f, 0xbe1c5b86, 0x3ea20b6b, 0x3eba577e, 0x3f4b5052, 0xbf015f15, 0xbd7658de,
            0xbe24ecd1, 0x3e383134, 0x3e4352d0, 0xbf0eeb7d, 0xbef8d21e, 0xbdef56e4, 0xbe17a231, 0xbe33cb8e,
            0x3f130811, 0xbe5c64a7, 0xbe509c50, 0xbf52dd64, 0x3e36daac, 0x3e8e67b8, 0xbef35961, 0xbeda663a,
            0x3e14b8f3, 0x3e588284, 0x3e6bcf2d, 0xbf2d6b60, 0x3f746ea9, 0xbe0d981c, 0xbdd07b2e, 0xbf25536a,
            0xbf0a5edc, 0x3ea31fa6, 0x3f5bed0f, 0xbe2adf6e, 0x3ef0285c, 0xbe2d9dad, 0xbe4d5bac, 0xbedcdd76,
        });
        PARAMS.put("base_model.model.lin1.bias", new int[] {
            0xbf121c33, 0x3db4d2d0,
        });
    }

    @Test
    void classificationTrainingIsBitIdenticalToTheTrainerBeforeTheRefactoring(@TempDir Path tmp) throws Exception {
        TrainerConfig config = TrainerConfig.builder().optEpochs(3).optBatchSize(8).optGradientAccumulation(2)
                .optLearningRate(0.05f).optHeadLearningRate(0.03f).optWeightDecay(0.01f).optSeed(3)
                .optSelectionMetric("mcc").optOutputDir(tmp).build();
        TrainResult result;
        Map<String, float[]> params;
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            result = new Trainer<>(classifier.objective(), config).fit(ToyClassifier.points(100, 7),
                    ToyClassifier.points(30, 8), ToyClassifier.points(40, 11));
            params = classifier.values();
        }
        assertEquals(3, result.bestEpoch());
        assertEquals(EPOCHS.length, result.history().size());
        for (int e = 0; e < EPOCHS.length; e++) {
            TrainResult.EpochRecord epoch = result.history().get(e);
            assertEquals(EPOCHS[e][0], Double.doubleToRawLongBits(epoch.trainLoss()), "train loss of epoch " + (e + 1));
            assertMetrics(EPOCHS[e], 1, epoch.validation(), "validation of epoch " + (e + 1));
        }
        assertMetrics(TEST, 0, result.test(), "test");
        assertEquals(PARAMS.keySet(), params.keySet());
        PARAMS.forEach((name, bits) -> assertArrayEquals(bits, floatBits(params.get(name)), name));

        List<Long> logged = new ArrayList<>();
        Map<String, Object> firstEval = null;
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(tmp.resolve("metrics.jsonl"))) {
            Map<?, ?> record = json.readValue(line, LinkedHashMap.class);
            if ("step".equals(record.get("event"))) {
                logged.add(Double.doubleToRawLongBits(((Number) record.get("loss")).doubleValue()));
            } else if ("eval".equals(record.get("event")) && firstEval == null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> validation = (Map<String, Object>) record.get("validation");
                firstEval = validation;
            }
        }
        assertArrayEquals(STEP_LOSSES, logged.stream().mapToLong(Long::longValue).toArray(), "step losses");
        assertEquals(List.of("count", "accuracy", "f1", "mcc", "loss"), new ArrayList<>(firstEval.keySet()),
                "metrics.jsonl keeps its field names and order");
    }

    private static void assertMetrics(long[] expected, int from, Metrics actual, String what) {
        assertEquals(expected[from], actual.count(), what + " count");
        String[] names = {"accuracy", "f1", "mcc", "loss"};
        for (int i = 0; i < names.length; i++) {
            assertEquals(Double.longBitsToDouble(expected[from + 1 + i]), actual.get(names[i]), 0.0,
                    what + " " + names[i]);
            assertEquals(expected[from + 1 + i], Double.doubleToRawLongBits(actual.get(names[i])), what + " " + names[i]);
        }
    }

    private static int[] floatBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
