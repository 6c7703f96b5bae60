package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.precision.Bf16Kernels;
import dev.peft4j.core.precision.Precision;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** all-MiniLM-L6-v2 multiplied in bf16 on real sentences: close to fp32, and LoLDU's identity at init exact. */
class Bf16MiniLmIT {

    private static final List<String> SENTENCES = List.of("Hello world!",
            "Free money!!! Click here to claim your prize before midnight, no questions asked.",
            "LoLDU keeps the triangular factors frozen and learns only a diagonal scaling vector.");

    @ParameterizedTest
    @ValueSource(strings = {"native", "emulated"})
    void bf16EmbeddingsPointWhereFp32OnesDoAndLolduStartsAtTheBase(String kernel) throws Exception {
        System.setProperty(Bf16Kernels.KERNEL_PROPERTY, kernel);
        try {
            Path jar = ModelJars.jar(PretrainedModel.ALL_MINILM_L6_V2);
            try (NDManager manager = NDManager.newBaseManager();
                    BertModel model = BertModel.load(PretrainedModel.ALL_MINILM_L6_V2, jar, manager);
                    BertTokenizer tokenizer = BertTokenizer.load(PretrainedModel.ALL_MINILM_L6_V2, jar, 64)) {
                BertTokenizer.Batch batch = tokenizer.encode(SENTENCES);
                float[] fp32 = pooled(model, batch, manager);
                Peft.setPrecision(model, Precision.BF16);
                float[] bf16 = pooled(model, batch, manager);
                assertFalse(java.util.Arrays.equals(fp32, bf16), "the products did run in bf16");
                for (int s = 0; s < SENTENCES.size(); s++) {
                    double cosine = cosine(fp32, bf16, s * 384, 384);
                    // bf16 keeps 8 significant bits per product operand (2^-9 relative each) through 36 linear
                    // layers; a mean-pooled sentence vector moves by ~1e-3 of its length, so its direction by less
                    // than 1e-4 of the cosine. 0.999 leaves a wide margin and still fails for a wrong weight (the
                    // cosine between unrelated sentences here is below 0.5).
                    assertTrue(cosine > 0.999, kernel + ": sentence " + s + " cosine " + cosine);
                }
                PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(64)
                        .optTargetModules(TargetModules.allLinear()).build());
                assertArrayEquals(bf16, pooled(model, batch, manager), 0f,
                        kernel + ": LoLDU at init is the bf16 base, bit for bit");
                peft.unload();
            }
        } finally {
            System.clearProperty(Bf16Kernels.KERNEL_PROPERTY);
        }
    }

    /** Mean of the unpadded positions' last hidden states, [sentences * 384]. */
    private static float[] pooled(BertModel model, BertTokenizer.Batch batch, NDManager parent) {
        try (NDManager step = parent.newSubManager()) {
            NDList inputs = batch.toNDList(step);
            NDArray hidden = model.forward(inputs.get(0), inputs.get(1), inputs.get(2), false);
            NDArray mask = inputs.get(1).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).expandDims(-1);
            return hidden.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1})).toFloatArray();
        }
    }

    private static double cosine(float[] a, float[] b, int offset, int length) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = offset; i < offset + length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
