package dev.peft4j.core.adapter;

import dev.peft4j.core.method.vera.VeraConfig;

/** The adapter contract for Vera: trainable count = r + m: lambda_d [4] and lambda_b [20]; the shared projections are frozen. */
class VeraContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return VeraConfig.builder().setRank(4).optTargetModules("lin0").optModulesToSave("lin1").build();
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
        return 4 + 20;
    }
}
