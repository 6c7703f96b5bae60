package dev.peft4j.models.llama;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer of a Llama-family model directory: its {@value #TOKENIZER_JSON} run by DJL's binding of Hugging Face
 * {@code tokenizers}, as {@code transformers} runs it. Works for the byte-level BPE tokenizers this project trains
 * ({@code <s>}/{@code </s>}, Llama-2 ids) and for real Llama-2 ({@code <s>}/{@code </s>}) and Llama-3
 * ({@code <|begin_of_text|>}/{@code <|end_of_text|>} or {@code <|eot_id|>}) files alike.
 *
 * <p>Behaviour made explicit rather than left to the file or to DJL's defaults:
 * <ul>
 *   <li>No padding and no truncation, whatever the file says: DJL otherwise truncates to 512 tokens when no length
 *       is given, which would silently cut a document short. Callers cut windows themselves.
 *   <li>BOS is prepended by this class when asked ({@code addBos}), not by the file's post-processor, so a file
 *       without a {@code TemplateProcessing} (some Llama conversions leave BOS to Python code) behaves the same, and
 *       EOS is never added: documents get it when they are packed.
 *   <li>BOS and EOS come from {@value #TOKENIZER_CONFIG} ({@code bos_token}, {@code eos_token}, as a string or an
 *       {@code AddedToken} object) when that file is present and names them; otherwise the first of
 *       {@code <s>}, {@code <|begin_of_text|>} and of {@code </s>}, {@code <|end_of_text|>}, {@code <|eot_id|>}
 *       found among the tokens.
 *   <li>Decoding skips special tokens and does not "clean up" spaces before punctuation, so decoding an encoded
 *       text returns it exactly (other settings of {@code tokenizer_config.json} are not applied either).
 * </ul>
 * As in Hugging Face, text that literally contains a special token's content (say {@code <s>}) encodes to that
 * special token.
 */
public final class LlamaTokenizer implements AutoCloseable {

    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final List<String> BOS_CANDIDATES = List.of("<s>", "<|begin_of_text|>");
    static final List<String> EOS_CANDIDATES = List.of("</s>", "<|end_of_text|>", "<|eot_id|>");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final int bosId;
    private final int eosId;
    private final int vocabSize;

    private LlamaTokenizer(HuggingFaceTokenizer tokenizer, int bosId, int eosId, int vocabSize) {
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.eosId = eosId;
        this.vocabSize = vocabSize;
    }

    /**
     * The tokenizer of the model directory {@code dir}.
     *
     * @throws IOException if {@value #TOKENIZER_JSON} is missing or unreadable, or BOS or EOS cannot be found
     */
    public static LlamaTokenizer load(Path dir) throws IOException {
        Path file = dir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Expected the tokenizer file " + file + ", it does not exist; a Llama model "
                    + "directory needs its Hugging Face " + TOKENIZER_JSON + " (a SentencePiece tokenizer.model alone "
                    + "is not supported: convert it with transformers' LlamaTokenizerFast and save_pretrained)");
        }
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IOException("Expected a JSON object in " + file + ", found "
                    + (root == null ? "an empty file" : root.getNodeType()));
        }
        Map<String, Integer> ids = tokenIds(root, file);
        int vocabSize = 0;
        for (int id : ids.values()) {
            vocabSize = Math.max(vocabSize, id + 1);
        }
        JsonNode config = null;
        Path configFile = dir.resolve(TOKENIZER_CONFIG);
        if (Files.isRegularFile(configFile)) {
            config = JSON.readTree(configFile.toFile());
        }
        int bos = specialId("bos_token", BOS_CANDIDATES, config, configFile, ids, file);
        int eos = specialId("eos_token", EOS_CANDIDATES, config, configFile, ids, file);
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (RuntimeException e) {
            throw new IOException("Hugging Face tokenizers could not load " + file + ": " + e.getMessage(), e);
        }
        return new LlamaTokenizer(tokenizer, bos, eos, vocabSize);
    }

    /** The ids of {@code text}, with {@link #bosId()} first when {@code addBos}; never EOS, never truncated. */
    public int[] encode(String text, boolean addBos) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int offset = addBos ? 1 : 0;
        int[] out = new int[ids.length + offset];
        if (addBos) {
            out[0] = bosId;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = (int) ids[i];
        }
        return out;
    }

    /** The text of {@code ids}, special tokens (BOS, EOS, ...) left out. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException("Token id " + ids[i] + " at position " + i + " is outside the "
                        + "vocabulary [0, " + vocabSize + ")");
            }
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    /** One more than the largest id of the vocabulary and the added tokens: the rows an embedding needs. */
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** Every token's id: {@code model.vocab} and {@code added_tokens}. */
    private static Map<String, Integer> tokenIds(JsonNode root, Path file) throws IOException {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new IOException("Expected an object model.vocab in " + file + " (a BPE tokenizer.json), found "
                    + (vocab.isMissingNode() ? "none" : vocab.getNodeType()) + "; model.type is "
                    + root.path("model").path("type").asText("missing"));
        }
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            ids.put(e.getKey(), e.getValue().asInt());
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("content").isTextual() && added.path("id").canConvertToInt()) {
                ids.put(added.get("content").asText(), added.get("id").asInt());
            }
        }
        return ids;
    }

    private static int specialId(String field, List<String> candidates, JsonNode config, Path configFile,
            Map<String, Integer> ids, Path file) throws IOException {
        String named = config == null ? null : tokenContent(config.get(field));
        if (named != null) {
            Integer id = ids.get(named);
            if (id == null) {
                throw new IOException(configFile + " names " + field + " \"" + named + "\", which is not a token of "
                        + file + "; fix one of the two files");
            }
            return id;
        }
        for (String candidate : candidates) {
            Integer id = ids.get(candidate);
            if (id != null) {
                return id;
            }
        }
        throw new IOException("Cannot tell the " + field + " of " + file + ": none of " + candidates + " is a token "
                + "there" + (config == null ? " and there is no " + TOKENIZER_CONFIG : " and " + configFile
                + " does not name one") + "; add \"" + field + "\" to " + TOKENIZER_CONFIG);
    }

    /** A {@code bos_token}-style value: a string, an {@code AddedToken} object's content, or null. */
    private static String tokenContent(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            return value.asText();
        }
        JsonNode content = value.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }
}
