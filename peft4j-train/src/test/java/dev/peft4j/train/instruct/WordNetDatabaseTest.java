package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordNetDatabaseTest {

    @TempDir
    Path dir;

    /** Writes the excerpts as a database folder, each file with a licence line first, as the real files have. */
    private void writeExcerpts(String adjectiveData) throws IOException {
        Files.writeString(dir.resolve("data.noun"), WordNetExcerpts.HEADER + WordNetExcerpts.NOUN_DATA);
        Files.writeString(dir.resolve("index.noun"), WordNetExcerpts.HEADER + WordNetExcerpts.NOUN_INDEX);
        Files.writeString(dir.resolve("data.adj"), WordNetExcerpts.HEADER + adjectiveData);
        Files.writeString(dir.resolve("index.adj"), WordNetExcerpts.HEADER + WordNetExcerpts.ADJECTIVE_INDEX);
        for (String name : List.of("data.verb", "index.verb", "data.adv", "index.adv")) {
            Files.writeString(dir.resolve(name), WordNetExcerpts.HEADER);
        }
        Files.writeString(dir.resolve("cntlist.rev"), WordNetExcerpts.COUNTS);
    }

    @Test
    void countsAreSummedPerLemmaAndPartOfSpeech() throws IOException {
        WordNetDatabase database = WordNetExcerpts.database();
        assertEquals(9 + 2, database.tagCount("awake", PartOfSpeech.ADJECTIVE));
        assertEquals(7, database.tagCount("awake", PartOfSpeech.VERB));
        assertEquals(0, database.tagCount("benumbed", PartOfSpeech.ADJECTIVE));
        IndexEntry awake = database.entries().get(3);
        assertEquals("awake", awake.lemma());
        assertEquals(List.of(186616, 190653), database.senses(awake).stream().map(Synset::offset).toList());
    }

    @Test
    void aMissingFileIsNamed() {
        IOException e = assertThrows(IOException.class, () -> WordNetDatabase.read(dir));
        assertTrue(e.getMessage().startsWith("Expected the WordNet file " + dir.resolve("data.noun")
                + "; it is missing"), e.getMessage());
    }

    @Test
    void aMalformedLineIsNumberedWithTheHeaderCounted() throws IOException {
        String adjectives = WordNetExcerpts.ADJECTIVE_DATA.replace(" 003 & 00095280", " 03 & 00095280");
        writeExcerpts(adjectives);
        IOException e = assertThrows(IOException.class, () -> WordNetDatabase.read(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("data.adj") + " line 2: expected a 3-digit pointer count, "
                + "found '03'"), e.getMessage());
    }

    @Test
    void anIndexLineNamingAnAbsentSynsetIsRefused() throws IOException {
        String withoutAlert = String.join("\n", WordNetExcerpts.ADJECTIVE_DATA.lines()
                .filter(line -> !line.startsWith("00190653")).toList()) + "\n";
        writeExcerpts(withoutAlert);
        IOException e = assertThrows(IOException.class, () -> WordNetDatabase.read(dir));
        assertTrue(e.getMessage().contains("index.adj: the line of 'awake' names synset 190653, which data.adj does "
                + "not hold"), e.getMessage());
    }

    @Test
    void aPointerLeadingNowhereIsRefused() throws IOException {
        writeExcerpts(WordNetExcerpts.ADJECTIVE_DATA);
        // the excerpts keep every line whole, so their other pointers lead to synsets that were not copied
        IOException e = assertThrows(IOException.class, () -> WordNetDatabase.read(dir));
        assertTrue(e.getMessage().contains("which does not exist; the files are damaged"), e.getMessage());
    }

    @Test
    void bytesThatAreNotUtf8AreRefused() throws IOException {
        writeExcerpts(WordNetExcerpts.ADJECTIVE_DATA);
        byte[] index = (WordNetExcerpts.HEADER + WordNetExcerpts.NOUN_INDEX + "pu?py\n").getBytes(
                StandardCharsets.US_ASCII);
        index[index.length - 4] = (byte) 0xff;
        Files.write(dir.resolve("index.noun"), index);
        IOException e = assertThrows(IOException.class, () -> WordNetDatabase.read(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("index.noun") + " line 3 is not UTF-8 text"),
                e.getMessage());
    }
}
