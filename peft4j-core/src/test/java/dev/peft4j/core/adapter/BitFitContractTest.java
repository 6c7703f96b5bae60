package dev.peft4j.core.adapter;

import dev.peft4j.core.method.bitfit.BitFitConfig;

/** The adapter contract for BitFit: trainable count = the biases outside the head: lin0.bias [20]. */
class BitFitContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return BitFitConfig.builder().optModulesToSave("lin1").build();
    }

    @Override
    boolean identityAtInit() {
        return true;
    }

    @Override
    boolean exportsLora() {
        return false;
    }

    @Override
    long expectedTrainableCount() {
        return 20;
    }
}
