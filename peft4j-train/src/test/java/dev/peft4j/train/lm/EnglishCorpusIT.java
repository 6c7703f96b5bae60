package dev.peft4j.train.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fetches the real corpus into the default cache (8.7 MB of tarballs, first run only) and checks it. */
class EnglishCorpusIT {

    private static EnglishCorpus corpus;

    @BeforeAll
    static void load() throws IOException {
        corpus = EnglishCorpus.load(ArtifactCache.defaultCache());
    }

    @Test
    void documentCountsAndBothSources() {
        long moby = corpus.documents().stream().filter(d -> d.source().equals(EnglishCorpus.MOBY_DICK)).count();
        long sotu = corpus.documents().stream().filter(d -> d.source().equals(EnglishCorpus.SOTU)).count();
        System.out.printf("english corpus: %d documents (%d moby-dick, %d sotu), %d bytes%n",
                corpus.size(), moby, sotu, corpus.bytes());
        assertEquals(EnglishCorpus.MOBY_DICK_CHAPTERS + 3, moby);
        assertEquals(EnglishCorpus.EXPECTED_SOTU, sotu);
        assertTrue(corpus.bytes() > 11_000_000 && corpus.bytes() < 13_000_000, "bytes " + corpus.bytes());
        assertEquals("1790_george_washington_n", corpus.documents().get((int) moby).id());
        assertEquals("2021_joseph_r_biden_d", corpus.documents().get(corpus.size() - 1).id());
    }

    @Test
    void chapterOneStartsWithCallMeIshmael() {
        EnglishCorpus.Document first = corpus.documents().stream().filter(d -> d.id().equals("chapter_1"))
                .findFirst().orElseThrow();
        assertTrue(first.text().startsWith("Call me Ishmael. Some years ago—never mind how long precisely"),
                first.text().substring(0, 80));
        assertTrue(first.text().contains("\n\n"), "paragraphs are kept");
        assertEquals(EnglishCorpus.MOBY_DICK, first.source());
    }

    @Test
    void textIsNormalised() {
        for (EnglishCorpus.Document d : corpus.documents()) {
            assertFalse(d.text().isEmpty(), d.id());
            assertFalse(d.text().contains("\r"), d.id());
            assertEquals(d.text().strip(), d.text(), d.id());
            assertFalse(d.text().chars().anyMatch(c -> Character.getType(c) == Character.CONTROL && c != '\n'
                    && c != '\t'), d.id());
        }
    }

    @Test
    void splitIsDisjointWithAboutFivePercentHeldOut() {
        EnglishCorpus.Split split = corpus.split();
        System.out.println("english corpus: " + split + ", validation share "
                + String.format("%.2f%%", 100.0 * split.validationBytes() / corpus.bytes()));
        Set<String> trainIds = new HashSet<>();
        split.train().forEach(d -> trainIds.add(d.source() + "/" + d.id()));
        for (EnglishCorpus.Document d : split.validation()) {
            assertFalse(trainIds.contains(d.source() + "/" + d.id()), d.id());
        }
        assertEquals(corpus.size(), split.train().size() + split.validation().size());
        assertEquals(corpus.bytes(), split.trainBytes() + split.validationBytes());
        double share = (double) split.validationBytes() / corpus.bytes();
        assertTrue(share >= 0.03 && share <= 0.08, "validation share " + share);
        List<String> validationSources = split.validation().stream().map(EnglishCorpus.Document::source).distinct()
                .toList();
        assertEquals(List.of(EnglishCorpus.MOBY_DICK, EnglishCorpus.SOTU), validationSources);
        assertEquals(split.validation(), corpus.split().validation(), "deterministic");
    }
}
