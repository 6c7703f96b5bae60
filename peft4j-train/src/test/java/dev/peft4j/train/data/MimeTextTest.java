package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class MimeTextTest {

    private static String text(String raw) {
        return MimeText.messageText(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void plainMessageKeepsSubjectAndDropsOtherHeaders() {
        String raw = "From someone@example.com  Thu Aug 22 12:36:23 2002\n"
                + "Return-Path: <a@example.com>\n"
                + "Received: from relay.example.com\n"
                + "\tby mx.example.com; Thu, 22 Aug 2002\n"
                + "Subject: Re: New Sequences\n"
                + "  Window\n"
                + "\n"
                + "For me it is very\n\n   repeatable.\n";
        assertEquals("Re: New Sequences Window For me it is very repeatable.", text(raw));
    }

    @Test
    void crlfLineEndsAndBodyWithoutSubject() {
        assertEquals("hello world", text("To: x@example.com\r\nFrom: y@example.com\r\n\r\nhello\r\nworld\r\n"));
    }

    @Test
    void quotedPrintableSoftBreaksAndLatin1Bytes() {
        String raw = "Subject: caf=E9\n"
                + "Content-Type: text/plain; charset=\"iso-8859-1\"\n"
                + "Content-Transfer-Encoding: quoted-printable\n\n"
                + "Caf=E9 cr=E8me, a very long li=\nne that was wrapped=20\nx = y stays =ZZ\n";
        // the Subject is not an encoded word, so it stays literal
        assertEquals("caf=E9 Caf\u00e9 cr\u00e8me, a very long line that was wrapped x = y stays =ZZ", text(raw));
    }

    @Test
    void quotedPrintableBytesAreExact() {
        assertArrayEquals(new byte[] {'a', (byte) 0xC3, (byte) 0xA9, 'b', 'c', '\n'},
                MimeText.decodeQuotedPrintable("a=C3=a9b=\r\nc\n"));
    }

    @Test
    void base64Utf8Body() {
        String body = Base64.getMimeEncoder().encodeToString("Grüße aus Köln — wirklich.".getBytes(StandardCharsets.UTF_8));
        String raw = "Subject: hi\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: BASE64\n\n"
                + body + "\n";
        assertEquals("hi Grüße aus Köln — wirklich.", text(raw));
    }

    @Test
    void base64IsLenientAboutJunkAndMissingPadding() {
        assertEquals("hello", new String(MimeText.decodeBase64("aGVs\r\nbG8"), StandardCharsets.US_ASCII));
        assertEquals("hello", new String(MimeText.decodeBase64("aGVsbG8=\n"), StandardCharsets.US_ASCII));
    }

    @Test
    void multipartAlternativePrefersPlainText() {
        String raw = "Subject: offer\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: multipart/alternative; boundary=\"=_b1\"\n\n"
                + "This is a multi-part message in MIME format.\n"
                + "--=_b1\n"
                + "Content-Type: text/plain; charset=us-ascii\n\n"
                + "Plain words here.\n"
                + "--=_b1\n"
                + "Content-Type: text/html\n\n"
                + "<html><body><p>HTML words</p></body></html>\n"
                + "--=_b1--\n"
                + "epilogue\n";
        assertEquals("offer Plain words here.", text(raw));
    }

    @Test
    void multipartMixedUsesHtmlTextAndSkipsBinaryAttachments() {
        String html = "<html><head><style>p {color: red}</style><script>var x = 1;</script></head>"
                + "<body><!-- hidden --><p>Click <b>H</b>ERE&nbsp;now &amp; save&#33;</p><br>Bye &euro;5</body></html>";
        String raw = "Subject: =?iso-8859-1?Q?Gro=DFe_Chance?= =?utf-8?B?4pyT?=\n"
                + "Content-Type: multipart/mixed; boundary=outer\n\n"
                + "--outer\n"
                + "Content-Type: multipart/alternative; boundary=\"inner\"\n\n"
                + "--inner\n"
                + "Content-Type: text/html; charset=iso-8859-1\n"
                + "Content-Transfer-Encoding: base64\n\n"
                + Base64.getMimeEncoder().encodeToString(html.getBytes(StandardCharsets.ISO_8859_1)) + "\n"
                + "--inner--\n"
                + "--outer\n"
                + "Content-Type: image/gif; name=\"a.gif\"\n"
                + "Content-Transfer-Encoding: base64\n\n"
                + "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=\n"
                + "--outer\n"
                + "Content-Type: text/plain\n\n"
                + "Unsubscribe below.\n"
                + "--outer--\n";
        String result = text(raw);
        assertEquals("Große Chance\u2713 Click HERE now & save! Bye \u20ac5 Unsubscribe below.", result);
        assertFalse(result.contains("color"), result);
    }

    @Test
    void missingClosingBoundaryKeepsLastPart() {
        List<String> parts = MimeText.splitParts("pre\n--b\nA: 1\n\none\n--b\n\ntwo\nmore", "b");
        assertEquals(List.of("A: 1\n\none", "\ntwo\nmore"), parts);
        assertEquals("s one two more",
                text("Subject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\nmore"));
    }

    @Test
    void undeclaredCharsetTriesUtf8ThenLatin1() {
        assertEquals("na\u00efve", MimeText.decodeCharset("na\u00efve".getBytes(StandardCharsets.UTF_8), null));
        assertEquals("na\u00efve", MimeText.decodeCharset("na\u00efve".getBytes(StandardCharsets.ISO_8859_1), null));
        assertEquals("na\u00efve", MimeText.decodeCharset("na\u00efve".getBytes(StandardCharsets.ISO_8859_1),
                "x-unknown-charset"));
        assertEquals("na\u00efve", MimeText.decodeCharset("na\u00efve".getBytes(StandardCharsets.ISO_8859_1),
                "us-ascii"));
    }

    @Test
    void encodedWordSubjectAndRawUtf8Subject() {
        assertEquals("Hello World", MimeText.decodeHeader("=?US-ASCII?Q?Hello?= =?us-ascii?q?_World?="));
        String utf8AsLatin1 = new String("Grüße".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertEquals("Grüße", MimeText.decodeHeader(utf8AsLatin1));
    }

    @Test
    void nonTextMessageGivesSubjectOnly() {
        String raw = "Subject: pic\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRg==\n";
        assertEquals("pic", text(raw));
    }

    @Test
    void embeddedMessageIsRead() {
        String raw = "Subject: Fwd: hi\nContent-Type: message/rfc822\n\nSubject: inner\nFrom: a@b\n\ninner body\n";
        String result = text(raw);
        assertEquals("Fwd: hi inner inner body", result);
        assertTrue(!result.contains("a@b"), result);
    }

    @Test
    void undeclaredHtmlIsStripped() {
        assertEquals("Buy now cheap", text("Subject: Buy\n\n<html><body>now <font color=red>cheap</font></body></html>\n"));
        assertEquals("code a < b and c > d stays",
                text("Subject: code\nContent-Type: text/plain\n\na < b and c > d stays\n"));
        assertTrue(MimeText.looksLikeHtml("<p>one<br>two<a href=x>three</a>"));
        assertFalse(MimeText.looksLikeHtml("use <b> for bold"));
    }
}
