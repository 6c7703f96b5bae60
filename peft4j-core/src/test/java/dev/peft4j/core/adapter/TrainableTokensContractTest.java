package dev.peft4j.core.adapter;

import dev.peft4j.core.method.trainabletokens.TrainableTokensConfig;

/**
 * The adapter contract for trainable tokens on rows 1, 4 and 7 of lin0's weight [20, 10] (its rows are the "tokens"
 * of this test): trainable count = 3 x 10. A perturbation ends with the method's after-step hook, which puts the
 * other 17 rows back, as training does.
 */
class TrainableTokensContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return TrainableTokensConfig.builder().optTargetModules("lin0").setTokenIndices(1, 4, 7)
                .optModulesToSave("lin1").build();
    }

    @Override
    void afterPerturb(PeftModel peft) {
        peft.trainingHook().afterStep(1, 1);
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
        return 3 * 10;
    }
}
