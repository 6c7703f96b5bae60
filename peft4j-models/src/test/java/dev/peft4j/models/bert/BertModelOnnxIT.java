package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The DJL encoder against ONNX Runtime running the very same ONNX file: last_hidden_state must
 * agree on every unpadded position of a padded batch, for single sentences and a sentence pair.
 */
class BertModelOnnxIT {

    // Relative to max |last_hidden_state| of the compared positions (was 1e-5 absolute, tuned to 3.5e-6 measured on
    // one CPU): two engines' fp32 kernels through 6 layers of 384-1536-term sums, ~sqrt(k)·u ≈ 2.4e-6 per layer in
    // practice (k·u ≈ 1e-4 worst), compounded over 6 layers and LayerNorm/softmax: 1e-4. A wrong GELU, eps or
    // mask is off by > 1e-3.
    private static final float TOLERANCE = 1e-4f;

    private static final List<String> SENTENCES = List.of(
            "Hello world!",
            "The quick brown fox jumps over the lazy dog.",
            "Parameter-efficient fine-tuning trains a tiny fraction of the weights.",
            "Free money!!! Click here to claim your prize before midnight, no questions asked.",
            "LoLDU keeps the lower and upper triangular factors frozen and learns only a diagonal scaling vector,"
                    + " which makes each adapter a few hundred floats.");

    @ParameterizedTest
    @EnumSource(value = PretrainedModel.class, names = {"ALL_MINILM_L6_V2", "BGE_SMALL_EN_V15"}) // the ONNX ones
    void matchesOnnxRuntime(PretrainedModel pretrained) throws Exception {
        Path jar = ModelJars.jar(pretrained);
        try (NDManager manager = NDManager.newBaseManager();
                BertModel model = BertModel.load(pretrained, jar, manager);
                BertTokenizer tokenizer = BertTokenizer.load(pretrained, jar, 128);
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession session = env.createSession(onnxBytes(pretrained, jar), new OrtSession.SessionOptions())) {
            BertConfig config = model.config();
            assertEquals(384, config.hiddenSize());
            assertEquals(pretrained == PretrainedModel.ALL_MINILM_L6_V2 ? 6 : 12, config.numLayers());
            assertEquals(1536, config.intermediateSize());
            assertEquals(30522, config.vocabSize());
            assertEquals(512, config.maxPositions());
            assertEquals(config.numLayers() * 6, model.linearLayers().size());

            BertTokenizer.Batch singles = tokenizer.encode(SENTENCES);
            assertTrue(singles.attentionMask()[0][singles.seqLength() - 1] == 0, "the batch must contain padding");
            float singlesDiff = maxRelativeDiff(model, session, env, singles, manager);

            BertTokenizer.Batch pairs = tokenizer.encodePairs(
                    List.of("How do I fine-tune a model cheaply?", "Is it raining?"),
                    List.of("Train a low-rank adapter instead of every weight.", "The weather is dry and sunny."));
            float pairsDiff = maxRelativeDiff(model, session, env, pairs, manager);

            System.out.printf("%s vs ONNX Runtime: max relative diff singles %.3g (batch %d x %d), pairs %.3g (batch %d x %d)%n",
                    pretrained.id(), singlesDiff, singles.size(), singles.seqLength(), pairsDiff, pairs.size(),
                    pairs.seqLength());
            assertTrue(singlesDiff < TOLERANCE, "singles differ by a max relative " + singlesDiff);
            assertTrue(pairsDiff < TOLERANCE, "pairs differ by a max relative " + pairsDiff);
        }
    }

    private static float maxRelativeDiff(BertModel model, OrtSession session, OrtEnvironment env,
            BertTokenizer.Batch batch, NDManager parent) throws OrtException {
        float[][][] expected = runOnnx(session, env, batch);
        float[] actual;
        try (NDManager step = parent.newSubManager()) {
            NDList inputs = batch.toNDList(step);
            NDArray hidden = model.forward(inputs.get(0), inputs.get(1), inputs.get(2), false);
            assertArrayEquals(new long[] {batch.size(), batch.seqLength(), 384}, hidden.getShape().getShape());
            actual = hidden.toFloatArray();
        }
        float max = 0f;
        float scale = 0f;
        int seq = batch.seqLength();
        for (int b = 0; b < batch.size(); b++) {
            for (int t = 0; t < seq; t++) {
                if (batch.attentionMask()[b][t] == 0) {
                    continue;
                }
                for (int h = 0; h < 384; h++) {
                    max = Math.max(max, Math.abs(actual[(b * seq + t) * 384 + h] - expected[b][t][h]));
                    scale = Math.max(scale, Math.abs(expected[b][t][h]));
                }
            }
        }
        return max / scale;
    }

    private static float[][][] runOnnx(OrtSession session, OrtEnvironment env, BertTokenizer.Batch batch)
            throws OrtException {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[][] values = switch (name) {
                    case "input_ids" -> batch.inputIds();
                    case "attention_mask" -> batch.attentionMask();
                    case "token_type_ids" -> batch.typeIds();
                    default -> throw new IllegalStateException("Unexpected ONNX input " + name);
                };
                inputs.put(name, OnnxTensor.createTensor(env, values));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static byte[] onnxBytes(PretrainedModel model, Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream in = zip.getInputStream(zip.getEntry(model.onnxEntry()))) {
            return in.readAllBytes();
        }
    }
}
