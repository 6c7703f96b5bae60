package dev.peft4j.core.adapter;

import dev.peft4j.core.method.loldu.LolduConfig;

/** The adapter contract for Loldu: trainable count = r per adapted weight: 4. */
class LolduContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return LolduConfig.builder().setRank(4).optTargetModules("lin0").optModulesToSave("lin1").build();
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
        return 4;
    }
}
