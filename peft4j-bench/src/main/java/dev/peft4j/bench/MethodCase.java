package dev.peft4j.bench;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.models.bert.SequenceClassifier;
import java.util.List;

/**
 * One configuration the benchmark trains or runs: a name, the adapter config ({@code null}: the plain model) and the
 * matching {@link FlopCounter.Plan}. Every trained case also trains the classification head, as every method does.
 *
 * <p>The <b>floor</b> is LoLDU with r = 1 on {@code encoder.layer.0.attention.self.query} only: one free scalar
 * (plus the head). Any adapter on layer 0 makes autograd carry the activation gradient from the loss back through
 * all six layers to that query projection, so the floor pays the forward, that backward, and nothing an adapter
 * adds: no adapter GEMMs of any size, no weight gradients, a one-float optimiser step. A method's time over the
 * floor's is what its adapters cost.
 */
record MethodCase(String name, AdapterConfig config, FlopCounter.Plan plan) {

    static final String FLOOR = "floor";
    private static final String FIRST_QUERY = "encoder.layer.0.attention.self.query";
    private static final List<String> QV = List.of("attention.self.query", "attention.self.value");

    /** The model as loaded, nothing attached (inference only). */
    static MethodCase base() {
        return new MethodCase("base", null, FlopCounter.Plan.headOnly());
    }

    static MethodCase floor() {
        LolduConfig config = LolduConfig.builder().setRank(1).optAlpha(1).optTargetModules(FIRST_QUERY)
                .optModulesToSave(SequenceClassifier.HEAD).build();
        return new MethodCase(FLOOR, config,
                new FlopCounter.Plan(1, (layer, module) -> layer == 0 && module.equals(QV.get(0)), false, false));
    }

    /** LoLDU at {@code rank} (alpha = rank, sigma0 = 1) on q,v or on all linear layers. */
    static MethodCase loldu(int rank, String rankLabel, boolean allLinear) {
        TargetModules targets = allLinear ? TargetModules.allLinear() : TargetModules.names(QV);
        LolduConfig config = LolduConfig.builder().setRank(rank).optAlpha(rank).optTargetModules(targets)
                .optModulesToSave(SequenceClassifier.HEAD).build();
        FlopCounter.Plan plan = allLinear ? FlopCounter.Plan.adapters(rank, FlopCounter.MODULES, false)
                : FlopCounter.Plan.adapters(rank, QV, false);
        return new MethodCase("loldu r=" + rankLabel + (allLinear ? " all" : " q,v"), config, plan);
    }

    static MethodCase loraQv(int rank) {
        LoraConfig config = LoraConfig.builder().setRank(rank).optTargetModules(TargetModules.names(QV))
                .optModulesToSave(SequenceClassifier.HEAD).build();
        return new MethodCase("lora r=" + rank + " q,v", config, FlopCounter.Plan.adapters(rank, QV, true));
    }

    static MethodCase fullFineTune() {
        return new MethodCase("full FT", FullFineTuneConfig.builder().optModulesToSave(SequenceClassifier.HEAD).build(),
                FlopCounter.Plan.allWeights());
    }

    /** The training cases; {@code fullRank} is min(m, n) of the widest adapted layer (MiniLM: 384). */
    static List<MethodCase> trainingCases(int fullRank) {
        return List.of(floor(), loldu(64, "64", false), loldu(fullRank, "full", false), loldu(64, "64", true),
                loldu(fullRank, "full", true), loraQv(8), fullFineTune());
    }
}
