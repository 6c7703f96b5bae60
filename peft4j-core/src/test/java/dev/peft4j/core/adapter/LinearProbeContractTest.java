package dev.peft4j.core.adapter;

import dev.peft4j.core.method.probe.LinearProbeConfig;

/** The adapter contract for LinearProbe: trainable count = none: only the head trains, reported apart. */
class LinearProbeContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return new LinearProbeConfig();
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
        return 0;
    }
}
