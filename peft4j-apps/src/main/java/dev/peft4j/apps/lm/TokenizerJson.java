package dev.peft4j.apps.lm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link BpeTrainer.Vocabulary} as a Hugging Face tokenizer directory, the files a Llama-family model
 * directory carries: {@value #TOKENIZER_JSON} (what DJL's {@code HuggingFaceTokenizer} and Python's
 * {@code tokenizers} load), plus {@value #TOKENIZER_CONFIG} and {@value #SPECIAL_TOKENS_MAP} so that Python's
 * {@code AutoTokenizer.from_pretrained(dir)} loads it as a {@code PreTrainedTokenizerFast} with BOS, EOS and UNK
 * set.
 *
 * <p>The {@code tokenizer.json} is GPT-2's byte-level pipeline with Llama-2's special tokens: no normalizer, a
 * {@code ByteLevel} pre-tokenizer (no prefix space, GPT-2 regex), a {@code TemplateProcessing} post-processor that
 * prepends {@code <s>} to single texts and to both texts of a pair, a {@code ByteLevel} decoder, and a {@code BPE}
 * model without unknown token or byte fallback (every byte is in the vocabulary). Merges are written as
 * {@code "left right"} strings, the form every {@code tokenizers} release reads (the pair-array form only from
 * 0.20); DJL 0.35 bundles {@code tokenizers} 0.21. {@code clean_up_tokenization_spaces} is false so that decoding
 * returns the original text, spaces before punctuation included.
 *
 * <p>Deterministic: the same vocabulary gives byte-identical files (fixed key order, {@code \n} line ends). Each
 * file is replaced atomically.
 */
public final class TokenizerJson {

    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

    private static final DefaultIndenter INDENTER = new DefaultIndenter("  ", "\n");
    private static final ObjectWriter WRITER = new ObjectMapper().writer(new DefaultPrettyPrinter()
            .withObjectIndenter(INDENTER)
            .withArrayIndenter(INDENTER)
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private TokenizerJson() {
    }

    /**
     * Writes the three files into {@code dir} (created if missing).
     *
     * @param modelMaxLength the model's context length, stored as {@code model_max_length}
     */
    public static void write(Path dir, BpeTrainer.Vocabulary vocabulary, int modelMaxLength) throws IOException {
        if (modelMaxLength < 1) {
            throw new IllegalArgumentException("model_max_length must be positive, found " + modelMaxLength);
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(TOKENIZER_JSON), tokenizerJson(vocabulary));
        AtomicFiles.writeString(dir.resolve(TOKENIZER_CONFIG), tokenizerConfig(modelMaxLength));
        AtomicFiles.writeString(dir.resolve(SPECIAL_TOKENS_MAP), specialTokensMap());
    }

    /** The text of {@value #TOKENIZER_JSON}. */
    public static String tokenizerJson(BpeTrainer.Vocabulary vocabulary) {
        List<String> tokens = vocabulary.tokens();
        if (tokens.size() < BpeTrainer.MIN_VOCAB_SIZE
                || !tokens.subList(0, BpeTrainer.FIRST_BYTE_ID).equals(BpeTrainer.SPECIAL_TOKENS)) {
            throw new IllegalArgumentException("Expected a vocabulary from BpeTrainer, starting with "
                    + BpeTrainer.SPECIAL_TOKENS + " and the 256 bytes, found " + tokens.size() + " tokens starting "
                    + tokens.subList(0, Math.min(3, tokens.size())));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < BpeTrainer.SPECIAL_TOKENS.size(); id++) {
            added.add(addedToken(id, BpeTrainer.SPECIAL_TOKENS.get(id)));
        }
        root.put("added_tokens", added);
        root.put("normalizer", null);
        root.put("pre_tokenizer", byteLevel(false));
        root.put("post_processor", prependBos());
        root.put("decoder", byteLevel(true));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (vocab.putIfAbsent(tokens.get(id), id) != null) {
                throw new IllegalArgumentException("Token " + tokens.get(id) + " appears twice, at ids "
                        + vocab.get(tokens.get(id)) + " and " + id);
            }
        }
        model.put("vocab", vocab);
        List<String> merges = new ArrayList<>(vocabulary.merges().size());
        for (BpeTrainer.Merge m : vocabulary.merges()) {
            merges.add(m.joined());
        }
        model.put("merges", merges);
        root.put("model", model);
        return json(root);
    }

    /** The text of {@value #TOKENIZER_CONFIG}. */
    public static String tokenizerConfig(int modelMaxLength) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_bos_token", true);
        config.put("add_eos_token", false);
        Map<String, Object> decoder = new LinkedHashMap<>();
        for (int id = 0; id < BpeTrainer.SPECIAL_TOKENS.size(); id++) {
            Map<String, Object> token = addedToken(id, BpeTrainer.SPECIAL_TOKENS.get(id));
            token.remove("id");
            decoder.put(Integer.toString(id), token);
        }
        config.put("added_tokens_decoder", decoder);
        config.put("bos_token", BpeTrainer.BOS);
        config.put("clean_up_tokenization_spaces", false);
        config.put("eos_token", BpeTrainer.EOS);
        config.put("model_max_length", modelMaxLength);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("unk_token", BpeTrainer.UNK);
        return json(config);
    }

    /** The text of {@value #SPECIAL_TOKENS_MAP}. */
    public static String specialTokensMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("bos_token", BpeTrainer.BOS);
        map.put("eos_token", BpeTrainer.EOS);
        map.put("unk_token", BpeTrainer.UNK);
        return json(map);
    }

    private static Map<String, Object> addedToken(int id, String content) {
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("id", id);
        token.put("content", content);
        token.put("single_word", false);
        token.put("lstrip", false);
        token.put("rstrip", false);
        token.put("normalized", false);
        token.put("special", true);
        return token;
    }

    private static Map<String, Object> byteLevel(boolean decoder) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("type", "ByteLevel");
        // The decoder ignores these flags; Hugging Face writes the same three for both.
        node.put("add_prefix_space", decoder);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
        return node;
    }

    /** {@code <s> $A} for one text, {@code <s> $A <s> $B} for a pair (the second part with type id 1). */
    private static Map<String, Object> prependBos() {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("type", "TemplateProcessing");
        node.put("single", List.of(special(0), sequence("A", 0)));
        node.put("pair", List.of(special(0), sequence("A", 0), special(1), sequence("B", 1)));
        Map<String, Object> bos = new LinkedHashMap<>();
        bos.put("id", BpeTrainer.BOS);
        bos.put("ids", List.of(BpeTrainer.BOS_ID));
        bos.put("tokens", List.of(BpeTrainer.BOS));
        node.put("special_tokens", Map.of(BpeTrainer.BOS, bos));
        return node;
    }

    private static Map<String, Object> special(int typeId) {
        return Map.of("SpecialToken", idAndType(BpeTrainer.BOS, typeId));
    }

    private static Map<String, Object> sequence(String id, int typeId) {
        return Map.of("Sequence", idAndType(id, typeId));
    }

    private static Map<String, Object> idAndType(String id, int typeId) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", id);
        node.put("type_id", typeId);
        return node;
    }

    private static String json(Object value) {
        try {
            return WRITER.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialise plain maps and lists to JSON", e);
        }
    }
}
