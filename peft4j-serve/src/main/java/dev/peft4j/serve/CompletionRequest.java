package dev.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.models.generate.GenerationConfig;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@code POST /v1/completions} body in OpenAI's shape, checked: {@code model}, {@code prompt} (a string or an
 * array of strings), {@code max_tokens}, {@code temperature}, {@code top_p}, {@code stop}, {@code seed},
 * {@code stream}, {@code stream_options.include_usage}, {@code n} (1 only), and vLLM's {@code top_k} and
 * {@code ignore_eos}. Each bad field is a 400 naming the field, what was expected and what was found.
 *
 * <p>Fields this server does not know are ignored, as vLLM does (its request models allow extra fields and only log
 * them), so clients that send newer or vendor fields keep working. Fields OpenAI defines whose effect this server
 * cannot give ({@code echo}, {@code logprobs}, {@code best_of}, {@code suffix}, penalties, {@code logit_bias}) are
 * accepted only at their neutral values and refused otherwise: ignoring them would return something other than
 * what was asked for without saying so. Defaults are OpenAI's: 16 tokens, temperature 1 (sampling; 0 is greedy),
 * and without a {@code seed} a fresh random one per request, so unseeded samples differ from call to call.
 *
 * @param model the caller's adapter name, or {@link ServeServer#BASE_MODEL}
 * @param prompts the prompts' texts, one completion each
 * @param promptIds their ids as generation reads them (BOS first)
 * @param config the generation settings every prompt of this request runs with
 * @param stream answer with Server-Sent Events
 * @param includeUsage with {@code stream}: a last chunk carrying {@code usage}
 */
public record CompletionRequest(String model, List<String> prompts, List<int[]> promptIds, GenerationConfig config,
        boolean stream, boolean includeUsage) {

    /** OpenAI's default {@code max_tokens} for completions (vLLM's too when a limit is wanted). */
    public static final int DEFAULT_MAX_TOKENS = 16;
    /** OpenAI's default temperature: sampling, unless the caller asks for 0. */
    public static final double DEFAULT_TEMPERATURE = 1.0;
    /** OpenAI accepts up to 4 stop sequences. */
    public static final int MAX_STOPS = 4;
    private static final SecureRandom SEEDS = new SecureRandom();

    /**
     * Checks {@code body} against {@code limits} and the model's context of {@code maxPositions} tokens, encoding
     * each prompt with {@code encode}.
     */
    public static CompletionRequest parse(JsonNode body, ServeLimits limits, Function<String, int[]> encode,
            int maxPositions) {
        String model = HttpJson.text(body, "model");
        List<String> prompts = prompts(body.get("prompt"), limits);
        int n = integer(body, "n", 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (n != 1) {
            throw ServeException.invalid("invalid_n", "Expected 'n' to be 1 (this server returns one completion per "
                    + "prompt), found " + n + "; send the request " + n + " times with different seeds instead");
        }
        neutral(body, "echo", v -> v.isBoolean() && !v.asBoolean(), "false");
        neutral(body, "logprobs", v -> false, "null (log probabilities are not returned)");
        neutral(body, "best_of", v -> v.isIntegralNumber() && v.asInt() == 1, "1");
        neutral(body, "suffix", v -> false, "null (insertion is not supported)");
        neutral(body, "presence_penalty", v -> v.isNumber() && v.asDouble() == 0, "0");
        neutral(body, "frequency_penalty", v -> v.isNumber() && v.asDouble() == 0, "0");
        neutral(body, "logit_bias", v -> v.isObject() && v.isEmpty(), "null or {}");

        int maxTokens = integer(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, limits.maxNewTokens());
        double temperature = number(body, "temperature", DEFAULT_TEMPERATURE, 0, 2, true);
        double topP = number(body, "top_p", 1.0, 0, 1, false);
        int topK = integer(body, "top_k", 0, -1, Integer.MAX_VALUE);
        boolean ignoreEos = bool(body, "ignore_eos", false);
        boolean stream = bool(body, "stream", false);
        JsonNode options = body.get("stream_options");
        boolean includeUsage = false;
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw ServeException.invalid("invalid_stream_options", "Expected 'stream_options' only with "
                        + "\"stream\": true, found it with stream off; remove it or set stream");
            }
            if (!options.isObject()) {
                throw ServeException.invalid("invalid_stream_options", "Expected 'stream_options' to be an object, "
                        + "found " + HttpJson.typeOf(options));
            }
            includeUsage = bool(options, "include_usage", false);
        }
        long seed = body.hasNonNull("seed") ? seed(body.get("seed")) : SEEDS.nextLong();
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(maxTokens).optTemperature(temperature)
                .optTopP(topP).optTopK(Math.max(0, topK)).optStopStrings(stops(body.get("stop"))).optSeed(seed)
                .optStopAtEos(!ignoreEos).build();

        List<int[]> ids = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] prompt = encode.apply(prompts.get(i));
            if (prompt.length + maxTokens > maxPositions) {
                // vLLM's wording, so clients that parse it keep working
                throw ServeException.invalid("context_length_exceeded", "This model's maximum context length is "
                        + maxPositions + " tokens. However, you requested " + (prompt.length + maxTokens)
                        + " tokens (" + prompt.length + " in prompt " + i + ", " + maxTokens + " in the completion). "
                        + "Please reduce the length of the prompt or max_tokens (at most "
                        + Math.max(0, maxPositions - prompt.length) + " for this prompt).");
            }
            ids.add(prompt);
        }
        return new CompletionRequest(model, prompts, ids, config, stream, includeUsage);
    }

    /** 'prompt': a string or an array of 1..maxTexts strings of at most maxTextChars each. */
    private static List<String> prompts(JsonNode prompt, ServeLimits limits) {
        List<String> texts = new ArrayList<>();
        if (prompt != null && prompt.isTextual()) {
            texts.add(prompt.asText());
        } else if (prompt != null && prompt.isArray()) {
            for (int i = 0; i < prompt.size(); i++) {
                JsonNode item = prompt.get(i);
                if (!item.isTextual()) {
                    throw ServeException.invalid("invalid_prompt", "Expected 'prompt[" + i + "]' to be a string, "
                            + "found " + HttpJson.typeOf(item) + (item.isNumber() || item.isArray()
                            ? " (prompts as token ids are not supported; send the text)" : ""));
                }
                texts.add(item.asText());
            }
        } else {
            throw ServeException.invalid("invalid_prompt", "Expected 'prompt' to be a string or an array of strings, "
                    + "found " + (prompt == null ? "none" : HttpJson.typeOf(prompt)));
        }
        if (texts.isEmpty()) {
            throw ServeException.invalid("invalid_prompt", "Expected at least one prompt, found an empty array");
        }
        if (texts.size() > limits.maxTexts()) {
            throw ServeException.invalid("too_many_prompts", "Expected at most " + limits.maxTexts() + " prompts, "
                    + "found " + texts.size() + "; split the request");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).length() > limits.maxTextChars()) {
                throw ServeException.invalid("prompt_too_long", "Expected prompt " + i + " to have at most "
                        + limits.maxTextChars() + " characters, found " + texts.get(i).length() + "; shorten it");
            }
        }
        return texts;
    }

    /** 'stop': null, a string, or an array of up to {@value #MAX_STOPS} non-empty strings. */
    private static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return out;
        }
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray()) {
            for (int i = 0; i < stop.size(); i++) {
                if (!stop.get(i).isTextual()) {
                    throw ServeException.invalid("invalid_stop", "Expected 'stop[" + i + "]' to be a string, found "
                            + HttpJson.typeOf(stop.get(i)));
                }
                out.add(stop.get(i).asText());
            }
        } else {
            throw ServeException.invalid("invalid_stop", "Expected 'stop' to be a string or an array of strings, "
                    + "found " + HttpJson.typeOf(stop));
        }
        if (out.size() > MAX_STOPS) {
            throw ServeException.invalid("invalid_stop", "Expected at most " + MAX_STOPS + " stop sequences, found "
                    + out.size());
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw ServeException.invalid("invalid_stop", "Expected non-empty stop sequences, found an empty "
                        + "string at " + i + "; remove it");
            }
        }
        return out;
    }

    /** An optional integer field in [min, max]; {@code fallback} when absent or null. */
    private static int integer(JsonNode body, String field, int fallback, int min, int max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' to be an integer, found "
                    + (value.isNumber() ? value.asText() : HttpJson.typeOf(value)));
        }
        int v = value.asInt();
        if (v < min || v > max) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' in [" + min + ", " + max
                    + "], found " + v + (field.equals("max_tokens") ? "; this server generates at most " + max
                    + " tokens per completion" : ""));
        }
        return v;
    }

    /** An optional number in [min, max] (or (min, max] when not {@code minIncluded}). */
    private static double number(JsonNode body, String field, double fallback, double min, double max,
            boolean minIncluded) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' to be a number, found "
                    + HttpJson.typeOf(value));
        }
        double v = value.asDouble();
        if (!(minIncluded ? v >= min : v > min) || v > max) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' in " + (minIncluded ? "[" : "(")
                    + min + ", " + max + "], found " + v);
        }
        return v;
    }

    private static boolean bool(JsonNode body, String field, boolean fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' to be true or false, found "
                    + HttpJson.typeOf(value));
        }
        return value.asBoolean();
    }

    private static long seed(JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw ServeException.invalid("invalid_seed", "Expected 'seed' to be an integer, found "
                    + (value.isNumber() ? value.asText() : HttpJson.typeOf(value)));
        }
        return value.asLong();
    }

    /** Refuses a field OpenAI defines but this server cannot honour, unless it is absent, null or neutral. */
    private static void neutral(JsonNode body, String field, Predicate<JsonNode> isNeutral,
            String expected) {
        JsonNode value = body.get(field);
        if (value != null && !value.isNull() && !isNeutral.test(value)) {
            throw ServeException.invalid("unsupported_" + field, "Expected '" + field + "' to be " + expected
                    + " or absent, found " + HttpJson.write(value) + "; this server does not support it");
        }
    }
}
