package dev.peft4j.core.adapter;

import dev.peft4j.core.method.pissa.PissaConfig;

/** The adapter contract for Pissa: trainable count = r (m + n), as LoRA. */
class PissaContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return PissaConfig.builder().setRank(4).optAlpha(8).optTargetModules("lin0").optModulesToSave("lin1").build();
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
