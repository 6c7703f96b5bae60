package dev.peft4j.core.adapter;

import dev.peft4j.core.method.full.FullFineTuneConfig;

/** The adapter contract for FullFineTune: trainable count = every parameter outside the head: lin0 [20, 10] + [20]. */
class FullFineTuneContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return FullFineTuneConfig.builder().optModulesToSave("lin1").build();
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
        return 20 * 10 + 20;
    }
}
