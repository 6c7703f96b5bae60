package dev.peft4j.train.instruct;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Scores of a generated response against its reference, each in [0, 1], reproducing the standard scripts so numbers
 * compare with published ones: ROUGE-L as Google's {@code rouge-score} package computes it by default, token F1 and
 * exact match as SQuAD's evaluation script does.
 */
public final class InstructionScores {

    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");
    private static final Pattern WHITE_SPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    /** Python's {@code string.punctuation}, which SQuAD's script removes. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private InstructionScores() {
    }

    /**
     * ROUGE-L F-measure: with {@code l} the length of the longest common subsequence of the two token lists,
     * precision {@code l / |candidate|}, recall {@code l / |reference|}, and {@code F = 2PR / (P + R)}. Tokens as
     * {@code rouge-score}'s default tokenizer makes them (no stemming): lower case, every run of characters other
     * than {@code a-z0-9} becomes a space, split on white space. 0 when either text has no token.
     */
    public static double rougeL(String candidate, String reference) {
        List<String> candidateTokens = rougeTokens(candidate);
        List<String> referenceTokens = rougeTokens(reference);
        if (candidateTokens.isEmpty() || referenceTokens.isEmpty()) {
            return 0;
        }
        int common = longestCommonSubsequence(candidateTokens, referenceTokens);
        return fMeasure((double) common / candidateTokens.size(), (double) common / referenceTokens.size());
    }

    /**
     * SQuAD's token F1: the bag-of-tokens overlap of the two {@link #squadTokens normalised} texts (a token repeated
     * counts as often as it occurs in both), precision over the candidate's tokens, recall over the reference's. As
     * in SQuAD 2.0's script, two texts without tokens score 1 and one without tokens scores 0.
     */
    public static double tokenF1(String candidate, String reference) {
        List<String> candidateTokens = squadTokens(candidate);
        List<String> referenceTokens = squadTokens(reference);
        if (candidateTokens.isEmpty() || referenceTokens.isEmpty()) {
            return candidateTokens.isEmpty() && referenceTokens.isEmpty() ? 1 : 0;
        }
        Map<String, Integer> remaining = new HashMap<>();
        referenceTokens.forEach(token -> remaining.merge(token, 1, Integer::sum));
        int common = 0;
        for (String token : candidateTokens) {
            Integer left = remaining.get(token);
            if (left != null && left > 0) {
                remaining.put(token, left - 1);
                common++;
            }
        }
        if (common == 0) {
            return 0;
        }
        return fMeasure((double) common / candidateTokens.size(), (double) common / referenceTokens.size());
    }

    /**
     * 1 when the first line of the response (after leading white space), normalised as SQuAD normalises answers,
     * equals one of the normalised {@code answers}, else 0. A model asked for one word may go on after a line break;
     * only the first line is its answer. A response that normalises to nothing is never right, even against an
     * answer that does too (an answer "A" loses its only token as an article).
     */
    public static double exactMatch(String candidate, List<String> answers) {
        String response = candidate.stripLeading();
        int lineEnd = firstLineBreak(response);
        String normalised = normalize(lineEnd < 0 ? response : response.substring(0, lineEnd));
        if (normalised.isEmpty()) {
            return 0;
        }
        for (String answer : answers) {
            if (normalised.equals(normalize(answer))) {
                return 1;
            }
        }
        return 0;
    }

    /** {@code rouge-score}'s tokens: lower case, runs of non-{@code [a-z0-9]} as spaces, split on white space. */
    static List<String> rougeTokens(String text) {
        String spaced = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        return splitOnWhiteSpace(spaced);
    }

    /** SQuAD's {@code normalize_answer}, split: lower case, punctuation removed, articles removed. */
    static List<String> squadTokens(String text) {
        return splitOnWhiteSpace(normalize(text));
    }

    /**
     * SQuAD's {@code normalize_answer}: lower case, remove ASCII punctuation, replace the words a, an and the by a
     * space, collapse white space.
     */
    static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder kept = new StringBuilder(lower.length());
        lower.codePoints().filter(c -> PUNCTUATION.indexOf(c) < 0).forEach(kept::appendCodePoint);
        String withoutArticles = ARTICLES.matcher(kept).replaceAll(" ");
        return String.join(" ", splitOnWhiteSpace(withoutArticles));
    }

    private static List<String> splitOnWhiteSpace(String text) {
        List<String> tokens = new ArrayList<>();
        for (String token : WHITE_SPACE.split(text)) {
            if (!token.isEmpty()) {
                tokens.add(token);
            }
        }
        return tokens;
    }

    /** The classic dynamic programme, one row at a time: {@code O(|a| |b|)} time, {@code O(|b|)} memory. */
    static int longestCommonSubsequence(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String tokenA : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = tokenA.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    private static double fMeasure(double precision, double recall) {
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    }

    private static int firstLineBreak(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n' || text.charAt(i) == '\r') {
                return i;
            }
        }
        return -1;
    }
}
