package dev.peft4j.models.bert;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@code tokenizer.json} of an uncased BERT WordPiece tokenizer for a {@code vocab.txt},
 * field for field what Hugging Face's {@code BertTokenizerFast} saves for {@code bert-base-uncased}
 * (truncation and padding left to {@link BertTokenizer}). Checkpoints such as Google's TF BERT ship
 * only the vocabulary, and DJL's tokenizer binding loads nothing but a {@code tokenizer.json}.
 */
final class WordPieceJson {

    private static final List<String> SPECIAL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

    private WordPieceJson() {
    }

    /** The JSON for {@code vocab} (token i has id i); {@code source} names the file in errors. */
    static String uncased(List<String> vocab, String source) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            String token = vocab.get(i);
            if (token.isEmpty()) {
                throw new IllegalArgumentException("Line " + (i + 1) + " of " + source + " is empty; a vocab.txt has"
                        + " one non-empty token per line");
            }
            Integer previous = ids.putIfAbsent(token, i);
            if (previous != null) {
                throw new IllegalArgumentException("Token '" + token + "' appears on lines " + (previous + 1) + " and "
                        + (i + 1) + " of " + source + "; each token of a vocab.txt must be unique");
            }
        }
        for (String special : SPECIAL) {
            if (!ids.containsKey(special)) {
                throw new IllegalArgumentException(source + " has no " + special + " token; a BERT vocab.txt needs all"
                        + " of " + SPECIAL);
            }
        }
        StringBuilder json = new StringBuilder(vocab.size() * 16 + 2048);
        json.append("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
        for (int i = 0; i < SPECIAL.size(); i++) {
            String token = SPECIAL.get(i);
            json.append(i == 0 ? "" : ",").append("{\"id\":").append(ids.get(token)).append(",\"content\":");
            string(json, token).append(",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                    + "\"normalized\":false,\"special\":true}");
        }
        json.append("],\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,"
                + "\"strip_accents\":null,\"lowercase\":true},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[")
                .append(special("[CLS]", 0)).append(',').append(sequence("A", 0)).append(',')
                .append(special("[SEP]", 0)).append("],\"pair\":[").append(special("[CLS]", 0)).append(',')
                .append(sequence("A", 0)).append(',').append(special("[SEP]", 0)).append(',')
                .append(sequence("B", 1)).append(',').append(special("[SEP]", 1)).append("],\"special_tokens\":{");
        json.append(specialTokenIds("[CLS]", ids)).append(',').append(specialTokenIds("[SEP]", ids)).append("}},");
        json.append("\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},\"model\":{\"type\":"
                + "\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
                + "\"max_input_chars_per_word\":100,\"vocab\":{");
        for (int i = 0; i < vocab.size(); i++) {
            string(json.append(i == 0 ? "" : ","), vocab.get(i)).append(':').append(i);
        }
        return json.append("}}}").toString();
    }

    private static String special(String token, int typeId) {
        return "{\"SpecialToken\":{\"id\":\"" + token + "\",\"type_id\":" + typeId + "}}";
    }

    private static String specialTokenIds(String token, Map<String, Integer> ids) {
        return "\"" + token + "\":{\"id\":\"" + token + "\",\"ids\":[" + ids.get(token) + "],\"tokens\":[\"" + token
                + "\"]}";
    }

    private static String sequence(String id, int typeId) {
        return "{\"Sequence\":{\"id\":\"" + id + "\",\"type_id\":" + typeId + "}}";
    }

    /** Appends {@code s} as a JSON string literal. */
    private static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"');
    }
}
