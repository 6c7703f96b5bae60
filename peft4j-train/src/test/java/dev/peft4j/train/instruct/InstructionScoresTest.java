package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Values computed by hand from the definitions; 1e-12 only absorbs the rounding of one division. */
class InstructionScoresTest {

    private static final double EXACT = 1e-12;

    @Test
    void rougeLIsTheFMeasureOfTheLongestCommonSubsequence() {
        // LCS "the cat on the mat" = 5 of 6 tokens each way: P = R = F = 5/6
        assertEquals(5.0 / 6, InstructionScores.rougeL("the cat sat on the mat", "the cat is on the mat"), EXACT);
        // order matters: every pair is reversed, so the LCS is one token: P = R = 1/4
        assertEquals(0.25, InstructionScores.rougeL("mat the on cat", "cat on the mat"), EXACT);
        assertEquals(1.0, InstructionScores.rougeL("A young dog.", "a young dog"), EXACT);
    }

    @Test
    void rougeLTokensAsRougeScoreMakesThem() {
        assertEquals(List.of("the", "cat", "s", "mat", "isn", "t", "3d"),
                InstructionScores.rougeTokens("The CAT's mat\tisn't 3D!"));
        // non-ASCII letters are separators, as in rouge-score's [^a-z0-9] pattern
        assertEquals(List.of("caf", "au", "lait"), InstructionScores.rougeTokens("café au lait"));
    }

    @Test
    void rougeLWithRepeatedTokens() {
        // candidate "the the the" against "the cat": LCS 1, P = 1/3, R = 1/2, F = 2PR/(P+R) = (1/3)/(5/6) = 0.4
        assertEquals(0.4, InstructionScores.rougeL("the the the", "the cat"), EXACT);
        // CLRS's example sequences, whose LCS has 4 elements (b c b a): P = 4/7, R = 4/6, F = 8/13
        assertEquals(4, InstructionScores.longestCommonSubsequence(List.of("a", "b", "c", "b", "d", "a", "b"),
                List.of("b", "d", "c", "a", "b", "a")));
        assertEquals(8.0 / 13, InstructionScores.rougeL("a b c b d a b", "b d c a b a"), EXACT);
    }

    @Test
    void rougeLOfAnEmptyTextIsZero() {
        assertEquals(0.0, InstructionScores.rougeL("", "a young dog"));
        assertEquals(0.0, InstructionScores.rougeL("?!", "a young dog"));
        assertEquals(0.0, InstructionScores.rougeL("a young dog", ""));
        assertEquals(0.0, InstructionScores.rougeL("", ""));
    }

    @Test
    void tokenF1CountsTheBagOverlapAfterSquadNormalisation() {
        // articles and punctuation go: "mat on cat" against "cat on mat" share all three tokens
        assertEquals(1.0, InstructionScores.tokenF1("The mat, on the cat.", "cat on a mat"), EXACT);
        // "young dog" of "a young dog" against "an inexperienced young person": common 1, P = 1/2, R = 1/3, F = 0.4
        assertEquals(0.4, InstructionScores.tokenF1("a young dog", "an inexperienced young person"), EXACT);
        // repeats count once per occurrence in both: "cat cat cat" against "cat dog": common 1, P = 1/3, R = 1/2
        assertEquals(0.4, InstructionScores.tokenF1("cat cat cat", "cat dog"), EXACT);
        // SQuAD removes punctuation without a space: "well-known" is one token "wellknown"
        assertEquals(0.0, InstructionScores.tokenF1("well-known", "well known"));
        assertEquals("wellknown apple", InstructionScores.normalize("  The Well-Known\n APPLE! "));
    }

    @Test
    void tokenF1OfEmptyTextsFollowsSquad2() {
        assertEquals(0.0, InstructionScores.tokenF1("", "a young dog"));
        assertEquals(0.0, InstructionScores.tokenF1("a young dog", "the"));
        assertEquals(1.0, InstructionScores.tokenF1("", "the"));
    }

    @Test
    void exactMatchComparesTheFirstLineWithEveryAnswer() {
        List<String> answers = List.of("bad", "evil");
        assertEquals(1.0, InstructionScores.exactMatch("Bad.", answers));
        assertEquals(1.0, InstructionScores.exactMatch("\n  evil\nbecause good is its opposite", answers));
        assertEquals(1.0, InstructionScores.exactMatch("the bad", answers));
        assertEquals(0.0, InstructionScores.exactMatch("very bad", answers));
        assertEquals(0.0, InstructionScores.exactMatch("wicked\nbad", answers));
        assertEquals(1.0, InstructionScores.exactMatch("domestic dog", List.of("domestic dog", "Canis familiaris")));
        // SQuAD's normalisation deletes the hyphen, so "domesticdog" is another word
        assertEquals(0.0, InstructionScores.exactMatch("Domestic-dog", List.of("domestic dog")));
    }

    @Test
    void anEmptyResponseIsNeverAnExactMatch() {
        assertEquals(0.0, InstructionScores.exactMatch("", List.of("bad")));
        assertEquals(0.0, InstructionScores.exactMatch("   \n", List.of("bad")));
        // "A" (the letter) normalises to nothing, as does the response "a": still no match
        assertEquals(0.0, InstructionScores.exactMatch("a", List.of("A")));
    }
}
