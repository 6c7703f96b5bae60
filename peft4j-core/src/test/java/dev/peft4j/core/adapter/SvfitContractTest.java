package dev.peft4j.core.adapter;

import dev.peft4j.core.method.svfit.SvfitConfig;

/** The adapter contract for Svfit: trainable count = r singular values per adapted weight. */
class SvfitContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return SvfitConfig.builder().setRank(4).optTargetModules("lin0").optModulesToSave("lin1").build();
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
