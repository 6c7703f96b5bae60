package dev.peft4j.core.adapter;

import dev.peft4j.core.method.fourierft.FourierFtConfig;

/** The adapter contract for FourierFt: trainable count = nFrequency per adapted weight; peft's default init N(0, 1) is not an identity. */
class FourierFtContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return FourierFtConfig.builder().setNFrequency(16).optTargetModules("lin0").optModulesToSave("lin1").build();
    }

    @Override
    boolean identityAtInit() {
        return false;
    }

    @Override
    boolean exportsLora() {
        return true;
    }

    @Override
    long expectedTrainableCount() {
        return 16;
    }
}
