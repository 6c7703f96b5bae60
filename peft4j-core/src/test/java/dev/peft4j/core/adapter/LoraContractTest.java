package dev.peft4j.core.adapter;

import dev.peft4j.core.method.lora.LoraConfig;

/** The adapter contract for Lora: trainable count = r (m + n): A [4, 10] and B [20, 4]. */
class LoraContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return LoraConfig.builder().setRank(4).optAlpha(8).optTargetModules("lin0").optModulesToSave("lin1").build();
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
        return 4 * (20 + 10);
    }
}
