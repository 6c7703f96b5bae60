package dev.peft4j.core.adapter;

import dev.peft4j.core.method.melora.MeloraConfig;

/**
 * The adapter contract for MELoRA: 2 mini LoRAs of rank 2 on lin0 [20, 10] (blocks [10, 5]), an update of rank 4;
 * trainable count = r (m + n) = 2 (20 + 10), one rank-2 LoRA's. alpha 4 gives scale 2, so the scale is exercised.
 */
class MeloraContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return MeloraConfig.builder().setRank(2).optMelCount(2).optAlpha(4).optTargetModules("lin0")
                .optModulesToSave("lin1").build();
    }

    @Override
    boolean identityAtInit() {
        return true;
    }

    @Override
    boolean exportsLora() {
        return true;
    }

    @Override
    long expectedTrainableCount() {
        return 2 * (20 + 10);
    }
}
