package dev.peft4j.apps.instruct;

import dev.peft4j.models.llama.LlamaTokenizer;
import dev.peft4j.train.instruct.AlpacaPrompt;
import dev.peft4j.train.instruct.InstructionExample;
import dev.peft4j.train.instruct.PromptStyle;
import dev.peft4j.train.lm.TokenSequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Instruction examples as decoder training sequences: BOS, the prompt's tokens, the response's tokens, EOS; the loss
 * counts the response and EOS only (the prompt is the length {@link TokenSequence#promptLength()}). Prompt and
 * response are encoded separately, as generation will see the prompt alone; a sequence longer than the limit loses
 * the end of its response, and a prompt that leaves no room for a response token is an error naming the example.
 */
public final class InstructionTokens {

    private final LlamaTokenizer tokenizer;
    private final PromptStyle style;
    private final int maxLength;

    public InstructionTokens(LlamaTokenizer tokenizer, PromptStyle style, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("--max-length must leave room for a prompt and a response token, found "
                    + maxLength);
        }
        this.tokenizer = tokenizer;
        this.style = style;
        this.maxLength = maxLength;
    }

    /** The text generation starts from: the formatted prompt, ending with the response header. */
    public String prompt(InstructionExample example) {
        return AlpacaPrompt.prompt(style, example);
    }

    public TokenSequence sequence(InstructionExample example) {
        int[] prompt = tokenizer.encode(prompt(example), true);
        int[] response = tokenizer.encode(example.output(), false);
        if (prompt.length >= maxLength) {
            throw new IllegalArgumentException("The prompt of instruction \"" + abbreviated(example.instruction())
                    + "\" has " + prompt.length + " tokens, leaving no room for its response within --max-length "
                    + maxLength + "; raise --max-length (the model reads up to its max_position_embeddings) or "
                    + "shorten the instruction");
        }
        int[] ids = Arrays.copyOf(prompt, Math.min(maxLength, prompt.length + response.length + 1));
        int responseRoom = ids.length - prompt.length;
        System.arraycopy(response, 0, ids, prompt.length, Math.min(response.length, responseRoom));
        if (responseRoom > response.length) {
            ids[ids.length - 1] = tokenizer.eosId(); // a whole response ends with EOS, so generation learns to stop
        }
        return new TokenSequence(ids, prompt.length);
    }

    public List<TokenSequence> sequences(List<InstructionExample> examples) {
        List<TokenSequence> out = new ArrayList<>(examples.size());
        for (InstructionExample e : examples) {
            out.add(sequence(e));
        }
        return out;
    }

    private static String abbreviated(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
