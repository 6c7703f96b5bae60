package dev.peft4j.models.llama;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Text in, text out: a {@link LlamaModel} with its {@link LlamaTokenizer} behind the {@link Generator}. Prompts are
 * encoded with BOS, generation stops at any end-of-sequence id of the config or the tokenizer, padding uses
 * {@code pad_token_id} or else the first EOS id (as transformers does for Llama, which has no pad token).
 */
public final class LlamaTextGenerator {

    private final LlamaModel model;
    private final LlamaTokenizer tokenizer;
    private final Generator generator;

    public LlamaTextGenerator(LlamaModel model, LlamaTokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("The tokenizer has " + tokenizer.vocabSize() + " tokens but the model "
                    + "only " + model.config().vocabSize() + " embeddings; pair the model with its own tokenizer.json");
        }
        this.generator = new Generator(model);
    }

    /** Continuations of every prompt, under {@code selection} (null: the active adapters), with the cache. */
    public List<Generator.Result> generate(List<String> prompts, GenerationConfig config, AdapterSelection selection,
            TokenStream stream, NDManager manager) {
        return generate(prompts, config, selection, true, stream, manager);
    }

    /** As {@link #generate(List, GenerationConfig, AdapterSelection, TokenStream, NDManager)}, cache optional. */
    public List<Generator.Result> generate(List<String> prompts, GenerationConfig config, AdapterSelection selection,
            boolean useCache, TokenStream stream, NDManager manager) {
        List<int[]> ids = new ArrayList<>();
        for (String prompt : prompts) {
            ids.add(tokenizer.encode(prompt, true));
        }
        return generator.generate(new Generator.Request(ids, config, eosIds(), padId(), tokenizer::decode,
                selection, useCache), stream, manager);
    }

    /** The config's end-of-sequence ids and the tokenizer's. */
    public Set<Integer> eosIds() {
        Set<Integer> ids = new LinkedHashSet<>(model.config().eosTokenIds());
        ids.add(tokenizer.eosId());
        return ids;
    }

    public int padId() {
        Integer pad = model.config().padTokenId();
        return pad != null ? pad : eosIds().iterator().next();
    }

    public LlamaTokenizer tokenizer() {
        return tokenizer;
    }
}
