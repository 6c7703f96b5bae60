package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlopCounterTest {

    private static final FlopCounter.ModelShape MINI_LM = FlopCounter.ModelShape.miniLm(32, 128);
    private static final double TOKENS = 32 * 128;
    private static final double H = 384;
    private static final double FFN = 1536;
    private static final double ATTENTION_MATMUL = 2.0 * 128 * 128 * H * 32; // one of Q K^T, P V for the batch
    private static final double HEAD = 2.0 * 2 * H * 32;

    /** 2mn per token for the six linears of one layer. */
    private static final double LAYER_LINEARS = 2 * TOKENS * (4 * H * H + 2 * H * FFN);

    @Test
    void plainForwardIsLinearsPlusAttentionPlusHead() {
        double forward = FlopCounter.inference(MINI_LM, FlopCounter.Plan.headOnly());
        // flop counts are integers held exactly in double (< 2^53): a delta of 1 flop is exactness for counts
        assertEquals(6 * (LAYER_LINEARS + 2 * ATTENTION_MATMUL) + HEAD, forward, 1);
        assertEquals(91.80e9, forward, 0.01e9); // to 4 significant digits; about 2.87 GFLOP per 128-token sequence
    }

    @Test
    void fullFineTuningCostsThreeForwardPasses() {
        FlopCounter.Count count = FlopCounter.trainingStep(MINI_LM, FlopCounter.Plan.allWeights());
        double forward = FlopCounter.inference(MINI_LM, FlopCounter.Plan.headOnly());
        assertEquals(forward, count.forward(), 1);
        assertEquals(2 * forward, count.backward(), 1);
        assertEquals(3 * forward, count.total(), 1);
    }

    @Test
    void floorSkipsLayerZeroInputGradientsAndKeyValueGradients() {
        FlopCounter.Count floor = FlopCounter.trainingStep(MINI_LM, MethodCase.floor().plan());
        double adapter = 2 * TOKENS * (H + H); // r = 1 on a [384, 384] query
        assertEquals(6 * (LAYER_LINEARS + 2 * ATTENTION_MATMUL) + HEAD + adapter, floor.forward(), 1);
        // layer 0: the adapter's r-wide gradient (2 r m), dQ and dP of attention, then input gradients of the three
        // linears after attention; layers 1-5: every input gradient and all four attention operand gradients.
        double layer0 = 2 * TOKENS * H + 2 * ATTENTION_MATMUL + 2 * TOKENS * (H * H + 2 * H * FFN);
        double later = 5 * (LAYER_LINEARS + 4 * ATTENTION_MATMUL);
        assertEquals(layer0 + later + 2 * HEAD, floor.backward(), 1);
    }

    @Test
    void loraFactorsAddWeightGradientsLolduDoesNot() {
        FlopCounter.Plan loldu = FlopCounter.Plan.adapters(8, List.of("attention.self.query"), false);
        FlopCounter.Plan lora = FlopCounter.Plan.adapters(8, List.of("attention.self.query"), true);
        double difference = FlopCounter.trainingStep(MINI_LM, lora).backward()
                - FlopCounter.trainingStep(MINI_LM, loldu).backward();
        assertEquals(6 * 2 * TOKENS * 8 * (H + H), difference, 1); // dA and dB on six query projections
    }

    @Test
    void rankIsCappedAtTheSmallerSideOfEachLayer() {
        FlopCounter.Plan huge = FlopCounter.Plan.adapters(10_000, FlopCounter.MODULES, false);
        FlopCounter.Plan full = FlopCounter.Plan.adapters(384, FlopCounter.MODULES, false);
        assertEquals(FlopCounter.inference(MINI_LM, full), FlopCounter.inference(MINI_LM, huge), 1);
        // unmerged at r = 384: 2 r (m + n) per token on four [384, 384] and two [1536, 384] / [384, 1536] layers,
        // twice the base GEMM on the square ones
        double base = FlopCounter.inference(MINI_LM, FlopCounter.Plan.headOnly());
        double adapters = 6 * 2 * TOKENS * 384 * (4 * (H + H) + 2 * (H + FFN));
        assertEquals(base + adapters, FlopCounter.inference(MINI_LM, full), 1);
    }
}
