package dev.peft4j.serve;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.lm.BpeTrainer;
import dev.peft4j.apps.lm.TokenizerJson;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.models.llama.PretrainedLlama;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The decoder fixture: a Llama directory as a user has one (a tiny random model, {@link LlamaConfig#tiny()} with
 * 64 positions, and a real byte-level BPE learned from a sentence), LoLDU adapters saved on it, and the in-process
 * generation a served completion must equal.
 */
final class TinyLlama {

    static final long BASE_SEED = 11;
    static final int POSITIONS = 64;
    static final String TEXT = "Call me Ishmael. Some years ago, never mind how long precisely, having little or no "
            + "money in my purse, and nothing particular to interest me on shore, I thought I would sail about a "
            + "little and see the watery part of the world.";

    private TinyLlama() {
    }

    private static LlamaConfig config(int vocabulary) {
        // init range 0.3: peaked next-token distributions, so greedy paths are not decided by rounding ties
        return LlamaConfig.tiny().withVocabulary(vocabulary, BpeTrainer.BOS_ID, List.of(BpeTrainer.EOS_ID))
                .withInitializerRange(0.3f);
    }

    /** Writes the model directory (config.json, model.safetensors, tokenizer.json) of {@code seed} into dir. */
    static Path model(Path dir, long seed) throws IOException {
        BpeTrainer.Vocabulary vocabulary = BpeTrainer.train(List.of(TEXT), 300);
        TokenizerJson.write(dir, vocabulary, POSITIONS);
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config(vocabulary.size()), seed, manager)) {
            model.save(dir, "F32");
        }
        return dir;
    }

    static LolduConfig loldu() {
        return LolduConfig.builder().setRank(4).optInit(LolduInit.NORMAL).optTrainSigma(true)
                .optTargetModules(TargetModules.allLinear()).build();
    }

    /**
     * A LoLDU adapter saved on the model of {@code modelDir}, its trainable tensors moved off their init by
     * {@code shift} (as a few training steps would), so that it changes the continuations.
     */
    static Path adapter(Path dir, Path modelDir, float shift) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded base = PretrainedLlama.load(modelDir.toString(), manager)) {
            PeftModel peft = Peft.wrap(base.model(), loldu());
            peft.trainableParameters().values().forEach(t -> {
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] * (1.5f + shift) + shift * ((i % 7) - 3) * 0.2f;
                }
                Tensors.overwrite(t, v);
            });
            peft.save(dir);
        }
        return dir;
    }

    /** Greedy decoding of {@code tokens} new tokens, stopping at EOS. */
    static GenerationConfig greedy(int tokens) {
        return GenerationConfig.builder().optMaxNewTokens(tokens).build();
    }

    /** Greedy unless the config says otherwise: what {@code adapterDir} (null: the base) generates in process. */
    static Generator.Result reference(Path modelDir, Path adapterDir, String prompt, GenerationConfig config)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded base = PretrainedLlama.load(modelDir.toString(), manager)) {
            AdapterSelection selection = AdapterSelection.base();
            if (adapterDir != null) {
                PeftModel.load(base.model(), adapterDir, false);
                selection = AdapterSelection.of(PeftModel.DEFAULT_ADAPTER);
            }
            return base.generator().generate(List.of(prompt), config, selection, TokenStream.NONE, manager).get(0);
        }
    }
}
