package dev.peft4j.apps.lm;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.models.llama.LlamaTextGenerator;
import dev.peft4j.models.llama.LlamaTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A few continuations of fixed prompts, recorded with a pretrained model so a reader can see what it learned. */
final class Samples {

    private Samples() {
    }

    static List<Map<String, String>> generate(LlamaModel model, LlamaTokenizer tokenizer, List<String> prompts,
            GenerationConfig config, NDManager manager) {
        List<Generator.Result> results = new LlamaTextGenerator(model, tokenizer).generate(prompts, config, null,
                TokenStream.NONE, manager);
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, String> one = new LinkedHashMap<>();
            one.put("prompt", prompts.get(i));
            one.put("continuation", results.get(i).text());
            one.put("finish_reason", results.get(i).reason().name().toLowerCase(java.util.Locale.ROOT));
            out.add(one);
        }
        return out;
    }
}
