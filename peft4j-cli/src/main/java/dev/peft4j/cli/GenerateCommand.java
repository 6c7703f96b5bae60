package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.LoadOptions;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.generate.FinishReason;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.PretrainedLlama;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j generate}: continues prompts with a Llama-family model, optionally under a peft4j adapter, streaming
 * the text of a single prompt as it is generated (several prompts run as one batch and print when done).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text with a Llama-family model (" + PretrainedLlama.ID + " or a Hugging Face Llama "
                + "directory), optionally under an adapter; one prompt streams as it is generated.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = PretrainedLlama.ID,
            description = "Model id (" + PretrainedLlama.ID + ") or a directory with config.json, "
                    + "model.safetensors (or a sharded index) and tokenizer.json (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--adapter", description = "An adapter directory saved by peft4j for this model.")
    Path adapter;

    @Option(names = "--allow-other-base", description = "Load the adapter even if the base's fingerprints differ "
            + "(one warning instead of an error).")
    boolean allowOtherBase;

    @Option(names = {"-p", "--prompt"}, required = true, description = "A prompt; repeat for a batch.")
    List<String> prompts;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy, else the sampling temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most probable tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass in (0, 1]; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--stop", description = "A stop string (cut from the output); repeat for several.")
    List<String> stops;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampling draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop-at-eos", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "End a prompt's continuation at the end-of-sequence token (default: ${DEFAULT-VALUE}).")
    boolean stopAtEos;

    @Option(names = "--no-cache", description = "Re-read the whole sequence every step instead of keeping a key/value cache.")
    boolean noCache;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    PrecisionOptions precisionOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        precisionOptions.apply(System.err);
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(maxNewTokens)
                .optTemperature(temperature).optTopK(topK).optTopP(topP)
                .optStopStrings(stops == null ? List.of() : stops).optSeed(seed).optStopAtEos(stopAtEos).build();
        PrintStream out = System.out;
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded loaded = PretrainedLlama.load(model, manager)) {
            if (adapter != null) {
                PeftModel.load(loaded.model(), adapter, false,
                        LoadOptions.strict().withAllowOtherBase(allowOtherBase));
            }
            boolean streaming = prompts.size() == 1;
            TokenStream stream = !streaming ? TokenStream.NONE : new TokenStream() {
                // the prompt goes out with the first text, so a request refused before generating prints only its error
                private boolean promptShown;

                @Override
                public void onText(int row, String text) {
                    showPrompt();
                    out.print(text);
                    out.flush();
                }

                @Override
                public void onFinish(int row, FinishReason reason) {
                    showPrompt();
                    out.println();
                }

                private void showPrompt() {
                    if (!promptShown) {
                        out.print(prompts.get(0));
                        promptShown = true;
                    }
                }
            };
            long start = System.nanoTime();
            List<Generator.Result> results = loaded.generator().generate(prompts, config, null, !noCache, stream,
                    manager);
            double seconds = (System.nanoTime() - start) / 1e9;
            int tokens = 0;
            for (int i = 0; i < results.size(); i++) {
                tokens += results.get(i).tokens().length;
                if (!streaming) {
                    out.printf("[%d] %s%s%n", i, prompts.get(i), results.get(i).text());
                }
            }
            System.err.printf(Locale.ROOT, "peft4j: %d tokens in %.2f s (%.1f tokens/s, %s cache); finish: %s%n",
                    tokens, seconds, tokens / seconds, noCache ? "no" : "key/value",
                    results.stream().map(r -> r.reason().apiValue()).toList());
        }
        return 0;
    }
}
