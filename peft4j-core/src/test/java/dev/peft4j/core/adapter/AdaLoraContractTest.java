package dev.peft4j.core.adapter;

import dev.peft4j.core.method.adalora.AdaLoraConfig;

/**
 * The adapter contract for AdaLoRA: trainable count = r (m + n) + r: A [4, 10], B [20, 4] and E [4, 1]; E starts at
 * zero, so the init is an identity; {@code B diag(E) A · scale} exports as a LoRA of rank init_r.
 */
class AdaLoraContractTest extends AdapterMethodContract {

    @Override
    AdapterConfig config() {
        return AdaLoraConfig.builder().optInitR(4).optTargetR(2).optAlpha(8).optTargetModules("lin0")
                .optModulesToSave("lin1").build();
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
        return 4 * (20 + 10) + 4;
    }
}
