package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.AdapterRegistry;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.PretrainedLlama;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j inspect}: a model's linear layers, their shapes, and which ones a target list selects. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List a model's linear layers (name, [out, in]) and mark those --targets would adapt; --model "
                + "takes a text encoder, " + PretrainedLlama.ID + " or a Llama directory.")
final class InspectCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--targets", split = ",", defaultValue = "all-linear",
            description = "Target modules to check, comma-separated, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--methods", description = "List the registered PEFT methods instead.")
    boolean methods;

    @Override
    public Integer call() throws Exception {
        if (methods) {
            for (AdapterMethod method : AdapterRegistry.defaultRegistry().methods().values()) {
                System.out.printf("%-14s peft_type %-10s tensors %s*%n", method.id(), method.peftType(), method.prefix());
            }
            return 0;
        }
        TargetModules matcher = targets.size() == 1 && targets.get(0).equals(TargetModules.ALL_LINEAR)
                ? TargetModules.allLinear() : TargetModules.names(targets);
        try (NDManager manager = NDManager.newBaseManager()) {
            if (PretrainedLlama.isLlama(modelOptions.model)) {
                try (PretrainedLlama.Loaded decoder = PretrainedLlama.load(modelOptions.model, manager)) {
                    LlamaConfig c = decoder.model().config();
                    System.out.printf("LlamaForCausalLM: %d layers, hidden %d, %d heads / %d key-value heads of %d, "
                            + "MLP %d, vocabulary %d, %d positions, rope_theta %s, tied embeddings %s%n",
                            c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                            c.headDim(), c.intermediateSize(), c.vocabSize(), c.maxPositionEmbeddings(),
                            c.ropeTheta(), c.tieWordEmbeddings());
                    list(decoder.model(), matcher, "");
                }
            } else {
                try (BertModel encoder = PretrainedEncoders.encoder(modelOptions.textEncoder(),
                        ArtifactCache.defaultCache(), manager)) {
                    SequenceClassifier model = SequenceClassifier.meanPooled(encoder, 2, 0);
                    list(model, matcher, "  (head, 2 labels here)");
                    model.close();
                }
            }
        }
        return 0;
    }

    /** One line per linear layer, {@code *} where the targets select it; heads marked with {@code headNote}. */
    private void list(AdaptableModel model, TargetModules matcher, String headNote) {
        Set<String> heads = model.headModules();
        int selected = 0;
        for (LinearSlot slot : model.linearLayers().values()) {
            boolean head = heads.contains(slot.name());
            boolean targeted = matcher.matches(slot.name(), head);
            selected += targeted ? 1 : 0;
            System.out.printf("%s %-48s [%d, %d]%s%n", targeted ? "*" : " ", slot.name(), slot.outFeatures(),
                    slot.inFeatures(), head ? (headNote.isEmpty() ? "  (head)" : headNote) : "");
        }
        System.out.printf("%d of %d linear layers targeted by %s%n", selected, model.linearLayers().size(), targets);
    }
}
