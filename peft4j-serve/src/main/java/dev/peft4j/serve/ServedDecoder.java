package dev.peft4j.serve;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.generate.FinishReason;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.models.llama.LlamaTextGenerator;
import dev.peft4j.models.llama.LlamaTokenizer;
import dev.peft4j.models.llama.PretrainedLlama;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A decoder as the one base of a server: a {@link LlamaModel}, its tokenizer and the {@link PeftModel} holding the
 * tenants' adapters. {@link #generate} runs rows of different adapters and different generation settings as one
 * {@link Generator} call ({@code AdapterSelection.perRow}, {@link Generator.RowConfig}), so every step is one
 * forward over all of them. As for {@link ServedEncoder}, generations take the read lock and loads and deletes the
 * write lock; a generation holds it for all its steps, so an install waits for the generations running (and, the
 * lock being fair, generations that come after the install wait for it).
 */
public final class ServedDecoder implements ServedModel {

    /**
     * One row of a generation: its adapter (a name the resolver maps to a loaded one, or
     * {@link AdapterSelection#BASE}), its prompt's ids (BOS first) and its own config and seed row.
     */
    public record Row(String adapter, int[] prompt, Generator.RowConfig config) {
    }

    private final NDManager manager;
    private final LlamaModel model;
    private final LlamaTokenizer tokenizer;
    private final ServedAdapters adapters;
    private final Generator generator;
    private final Set<Integer> eosIds;
    private final int padId;
    private final String baseId;

    private ServedDecoder(NDManager manager, LlamaModel model, LlamaTokenizer tokenizer, String baseId) {
        // pairs the model with its tokenizer (vocabulary sizes) and gives Llama's EOS and padding conventions
        LlamaTextGenerator text = new LlamaTextGenerator(model, tokenizer);
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.adapters = new ServedAdapters(model);
        this.generator = new Generator(model);
        this.eosIds = Set.copyOf(text.eosIds());
        this.padId = text.padId();
        this.baseId = baseId;
    }

    /** Serves {@code model} with {@code tokenizer}; takes ownership of both and of {@code manager}, their parent. */
    public static ServedDecoder of(NDManager manager, LlamaModel model, LlamaTokenizer tokenizer, String baseId) {
        return new ServedDecoder(manager, model, tokenizer, baseId);
    }

    /** Serves {@value PretrainedLlama#ID} or a Llama directory ({@link PretrainedLlama#load}). */
    public static ServedDecoder open(String idOrDir) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            PretrainedLlama.Loaded loaded = PretrainedLlama.load(idOrDir, manager);
            try {
                return new ServedDecoder(manager, loaded.model(), loaded.tokenizer(), idOrDir);
            } catch (RuntimeException e) {
                loaded.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public String baseId() {
        return baseId;
    }

    /** The longest sequence, prompt plus completion, the model takes. */
    public int maxPositions() {
        return model.maxPositions();
    }

    /** The prompt's ids as generation reads them: BOS first, never truncated. */
    public int[] encode(String prompt) {
        return tokenizer.encode(prompt, true);
    }

    @Override
    public void load(Path dir, String internalName) throws IOException {
        adapters.load(dir, internalName);
    }

    @Override
    public void delete(String internalName) {
        adapters.delete(internalName);
    }

    @Override
    public Set<String> loaded() {
        return adapters.loaded();
    }

    /** A decoder's adapter has no classes: nothing to keep, nothing to check beyond the strict load. */
    @Override
    public List<String> labels(Path dir) {
        return List.of();
    }

    /**
     * Generates every row under its own adapter and config. Each row's adapter is resolved under the read lock
     * ({@code resolve}: a key to the loaded name, null when gone), so a replacement swapped in meanwhile is seen
     * consistently; a row whose adapter is gone gets null and takes no part. The rows run as one {@link Generator}
     * call when the longest prompt plus the largest {@code max_tokens} fits the model's positions (the batch is one
     * left-padded tensor), otherwise as a few calls, each of rows that fit together. {@code stream} gets text by
     * the row's index in {@code rows}.
     *
     * @throws IllegalArgumentException when a row alone does not fit the model (callers check this first)
     */
    public List<Generator.Result> generate(List<Row> rows, UnaryOperator<String> resolve, TokenStream stream) {
        return adapters.forward(rows.stream().map(Row::adapter).toList(), resolve, (present, names) -> {
            Generator.Result[] out = new Generator.Result[rows.size()];
            int from = 0;
            while (from < present.size()) {
                int to = fitting(rows, present, from);
                List<Integer> group = present.subList(from, to);
                List<Generator.Result> results = run(rows, group, names.subList(from, to), stream);
                for (int k = 0; k < group.size(); k++) {
                    out[group.get(k)] = results.get(k);
                }
                from = to;
            }
            return Arrays.asList(out);
        });
    }

    /** The end of the run of rows from {@code present[from]} on whose longest prompt plus largest length fits. */
    private int fitting(List<Row> rows, List<Integer> present, int from) {
        int longest = 0;
        int maxNew = 0;
        int to = from;
        while (to < present.size()) {
            Row row = rows.get(present.get(to));
            int nextLongest = Math.max(longest, row.prompt().length);
            int nextMaxNew = Math.max(maxNew, row.config().config().maxNewTokens());
            if (to > from && nextLongest + nextMaxNew > model.maxPositions()) {
                break;
            }
            longest = nextLongest;
            maxNew = nextMaxNew;
            to++;
        }
        return to;
    }

    private List<Generator.Result> run(List<Row> rows, List<Integer> group, List<String> names, TokenStream stream) {
        List<int[]> prompts = new ArrayList<>();
        List<Generator.RowConfig> configs = new ArrayList<>();
        for (int index : group) {
            prompts.add(rows.get(index).prompt());
            configs.add(rows.get(index).config());
        }
        TokenStream mapped = new TokenStream() {
            @Override
            public void onText(int row, String newText) {
                stream.onText(group.get(row), newText);
            }

            @Override
            public void onFinish(int row, FinishReason reason) {
                stream.onFinish(group.get(row), reason);
            }
        };
        try (NDManager scope = manager.newSubManager()) {
            return generator.generate(new Generator.Request(prompts, configs.get(0).config(), eosIds, padId,
                    tokenizer::decode, AdapterSelection.perRow(names), true, configs), mapped, scope);
        }
    }

    /** Test seam: holds the write lock so generations wait; returns the unlocker. */
    Runnable holdForwards() throws InterruptedException {
        return adapters.holdForwards();
    }

    @Override
    public void close() {
        adapters.closeAfterForwards(() -> {
            tokenizer.close();
            model.close();
            manager.close();
        });
    }
}
