package dev.peft4j.train.data;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The readable text of a raw RFC 822 e-mail: its Subject followed by its decoded body, headers dropped.
 *
 * <p>Hand-written on purpose: no MIME library (jakarta.mail, commons-email) is in peft4j's dependency set, and the
 * SpamAssassin corpus needs only headers, quoted-printable, base64, RFC 2047 encoded words and nested multipart. The
 * message is handled as an ISO-8859-1 string (one char per byte, so nothing is lost) until a part's bytes are
 * decoded with that part's declared charset.
 */
final class MimeText {

    private static final int MAX_DEPTH = 8;
    private static final Pattern HEADER = Pattern.compile("([!-9;-~]+):(.*)");
    private static final Pattern PARAM =
            Pattern.compile(";\\s*([^=;\\s]+)\\s*=\\s*(\"([^\"]*)\"|[^;\\s]*)");
    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?\\s]+)\\?([QqBb])\\?([^?]*)\\?=");
    private static final Pattern BETWEEN_ENCODED_WORDS = Pattern.compile("(\\?=)\\s+(=\\?)");
    private static final Pattern SCRIPT_OR_STYLE = Pattern.compile("(?is)<(script|style)\\b.*?</\\1\\s*>");
    private static final Pattern HTML_COMMENT = Pattern.compile("(?s)<!--.*?-->");
    private static final Pattern INLINE_TAG =
            Pattern.compile("(?i)</?(a|b|i|u|em|strong|font|span|small|big|sub|sup)\\b[^>]*>");
    private static final Pattern ANY_TAG = Pattern.compile("<[^>]*>");
    private static final Pattern HTML_DOCUMENT = Pattern.compile("(?i)<(html|body)[\\s>]");
    private static final Pattern COMMON_TAG =
            Pattern.compile("(?i)</?(p|br|div|table|tr|td|font|a|b|img|center)\\b[^>]*>");
    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});");
    private static final Pattern SPACE = Pattern.compile("[\\p{Cntrl}\\s\\u00A0]+");
    private static final Map<String, String> ENTITIES = Map.ofEntries(Map.entry("nbsp", " "),
            Map.entry("amp", "&"), Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("quot", "\""),
            Map.entry("apos", "'"), Map.entry("copy", "\u00A9"), Map.entry("reg", "\u00AE"),
            Map.entry("trade", "\u2122"), Map.entry("euro", "\u20AC"), Map.entry("pound", "\u00A3"),
            Map.entry("mdash", "\u2014"), Map.entry("ndash", "\u2013"), Map.entry("hellip", "\u2026"));

    private MimeText() {
    }

    /** A header block and a body, both as ISO-8859-1 strings of the raw bytes. */
    record Entity(Map<String, String> headers, String body) {

        /** The unfolded value of the first header called {@code name} (case-insensitive), or "". */
        String header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
        }

        /** The lower-case media type, {@code text/plain} when none is declared. */
        String mimeType() {
            String value = header("content-type");
            int semicolon = value.indexOf(';');
            String type = (semicolon < 0 ? value : value.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
            return type.isEmpty() ? "text/plain" : type;
        }

        /** A parameter of Content-Type ({@code charset}, {@code boundary}), or null. */
        String typeParameter(String name) {
            Matcher m = PARAM.matcher(header("content-type"));
            while (m.find()) {
                if (m.group(1).equalsIgnoreCase(name)) {
                    return m.group(3) != null ? m.group(3) : m.group(2);
                }
            }
            return null;
        }
    }

    /**
     * The Subject (RFC 2047 decoded), a space, then the body text, with all runs of white space collapsed to one
     * space. The body is the decoded text/plain content; HTML parts are used, tags stripped, only when a message
     * or a multipart/alternative has no plain text; attachments that are not text are skipped. Much 2002 spam sends
     * HTML without declaring it (no MIME headers, or text/plain), so plain text that {@link #looksLikeHtml looks
     * like HTML} is stripped too.
     */
    static String messageText(byte[] raw) {
        Entity message = parse(new String(raw, StandardCharsets.ISO_8859_1));
        String subject = decodeHeader(message.header("subject"));
        String body = extract(message, 0);
        return collapse(subject + " " + (body == null ? "" : body));
    }

    /** Splits headers from the body at the first blank line and unfolds the headers. */
    static Entity parse(String raw) {
        int end;
        int bodyStart;
        if (raw.startsWith("\n") || raw.startsWith("\r\n")) {
            end = 0;
            bodyStart = raw.indexOf('\n') + 1;
        } else {
            int lf = raw.indexOf("\n\n");
            int crlf = raw.indexOf("\n\r\n");
            if (lf < 0 && crlf < 0) {
                String firstLine = raw.lines().findFirst().orElse("");
                boolean allHeaders = HEADER.matcher(firstLine).matches();
                return new Entity(allHeaders ? headers(raw) : Map.of(), allHeaders ? "" : raw);
            }
            boolean useLf = lf >= 0 && (crlf < 0 || lf < crlf);
            end = useLf ? lf : crlf;
            bodyStart = end + (useLf ? 2 : 3);
        }
        return new Entity(headers(raw.substring(0, end)), raw.substring(bodyStart));
    }

    private static Map<String, String> headers(String block) {
        Map<String, String> headers = new LinkedHashMap<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        for (String line : block.split("\r?\n")) {
            if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                if (name != null) {
                    value.append(' ').append(line.strip());
                }
                continue;
            }
            if (name != null) {
                headers.putIfAbsent(name, value.toString().strip());
            }
            Matcher m = HEADER.matcher(line);
            // lines that are not "Name: value" (the mbox "From " line) are skipped
            name = m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
            value.setLength(0);
            if (name != null) {
                value.append(m.group(2));
            }
        }
        if (name != null) {
            headers.putIfAbsent(name, value.toString().strip());
        }
        return headers;
    }

    /** The text of an entity, or null if it holds no text (an image, a zip). */
    static String extract(Entity entity, int depth) {
        String type = entity.mimeType();
        if (depth > MAX_DEPTH) {
            return null;
        }
        if (type.startsWith("multipart/")) {
            String boundary = entity.typeParameter("boundary");
            if (boundary == null || boundary.isEmpty()) {
                return decodeText(entity, false);
            }
            List<Entity> parts = new ArrayList<>();
            for (String part : splitParts(entity.body(), boundary)) {
                parts.add(parse(part));
            }
            return type.equals("multipart/alternative") ? alternative(parts, depth) : joined(parts, depth);
        }
        if (type.equals("message/rfc822")) {
            Entity inner = parse(new String(transferDecoded(entity), StandardCharsets.ISO_8859_1));
            String body = extract(inner, depth + 1);
            return decodeHeader(inner.header("subject")) + " " + (body == null ? "" : body);
        }
        if (type.startsWith("text/")) {
            return decodeText(entity, type.equals("text/html"));
        }
        return null;
    }

    private static String alternative(List<Entity> parts, int depth) {
        for (Entity part : parts) {
            if (part.mimeType().equals("text/plain")) {
                String text = extract(part, depth + 1);
                if (text != null && !text.isBlank()) {
                    return text;
                }
            }
        }
        // no plain text: RFC 2046 orders alternatives plainest first, so take the last one that has text
        for (int i = parts.size() - 1; i >= 0; i--) {
            String text = extract(parts.get(i), depth + 1);
            if (text != null && !text.isBlank()) {
                return text;
            }
        }
        return null;
    }

    private static String joined(List<Entity> parts, int depth) {
        StringBuilder text = new StringBuilder();
        for (Entity part : parts) {
            String partText = extract(part, depth + 1);
            if (partText != null) {
                text.append(partText).append('\n');
            }
        }
        return text.length() == 0 ? null : text.toString();
    }

    /** The parts between {@code --boundary} lines; a missing closing {@code --boundary--} ends at the body's end. */
    static List<String> splitParts(String body, String boundary) {
        String delimiter = "--" + boundary;
        List<String> parts = new ArrayList<>();
        int partStart = -1;
        int pos = 0;
        while (pos < body.length()) {
            int eol = body.indexOf('\n', pos);
            int next = eol < 0 ? body.length() : eol + 1;
            if (body.startsWith(delimiter, pos)) {
                String rest = body.substring(pos + delimiter.length(), eol < 0 ? body.length() : eol).strip();
                if (rest.isEmpty() || rest.equals("--")) {
                    if (partStart >= 0) {
                        parts.add(body.substring(partStart, Math.max(partStart, pos - 1)));
                    }
                    partStart = rest.isEmpty() ? next : -1;
                    if (partStart < 0) {
                        break;
                    }
                }
            }
            pos = next;
        }
        if (partStart >= 0 && partStart < body.length()) {
            parts.add(body.substring(partStart));
        }
        return parts;
    }

    private static String decodeText(Entity entity, boolean html) {
        String text = decodeCharset(transferDecoded(entity), entity.typeParameter("charset"));
        return html || looksLikeHtml(text) ? stripHtml(text) : text;
    }

    /** An {@code <html>} or {@code <body>} tag, or at least three common tags such as {@code <p>} or {@code <a>}. */
    static boolean looksLikeHtml(String text) {
        if (HTML_DOCUMENT.matcher(text).find()) {
            return true;
        }
        Matcher tags = COMMON_TAG.matcher(text);
        int count = 0;
        while (count < 3 && tags.find()) {
            count++;
        }
        return count >= 3;
    }

    /** The body's bytes after undoing its Content-Transfer-Encoding (base64, quoted-printable, or none). */
    static byte[] transferDecoded(Entity entity) {
        String encoding = entity.header("content-transfer-encoding").strip().toLowerCase(Locale.ROOT);
        return switch (encoding) {
            case "base64" -> decodeBase64(entity.body());
            case "quoted-printable" -> decodeQuotedPrintable(entity.body());
            default -> entity.body().getBytes(StandardCharsets.ISO_8859_1);
        };
    }

    /** Lenient base64: characters outside the alphabet are skipped and a dangling final character is dropped. */
    static byte[] decodeBase64(String encoded) {
        StringBuilder clean = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') {
                clean.append(c);
            }
        }
        if (clean.length() % 4 == 1) {
            clean.setLength(clean.length() - 1);
        }
        return Base64.getDecoder().decode(clean.toString());
    }

    /** Quoted-printable (RFC 2045 6.7): {@code =XX} is a byte, {@code =} at a line end is a soft break. */
    static byte[] decodeQuotedPrintable(String encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
        int i = 0;
        while (i < encoded.length()) {
            char c = encoded.charAt(i);
            if (c == '=') {
                int j = i + 1;
                while (j < encoded.length() && (encoded.charAt(j) == ' ' || encoded.charAt(j) == '\t')) {
                    j++;
                }
                if (j < encoded.length() && (encoded.charAt(j) == '\n' || encoded.charAt(j) == '\r')) {
                    i = encoded.startsWith("\r\n", j) ? j + 2 : j + 1;
                    continue;
                }
                if (i + 2 < encoded.length() && isHex(encoded.charAt(i + 1)) && isHex(encoded.charAt(i + 2))) {
                    out.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                    i += 3;
                    continue;
                }
            }
            out.write(c & 0xFF);
            i++;
        }
        return out.toByteArray();
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0 && c < 128;
    }

    /**
     * Bytes to text with the declared charset; when none is declared, it is us-ascii, or Java does not know it,
     * strict UTF-8 is tried first and ISO-8859-1 (which accepts any byte) is the fallback.
     */
    static String decodeCharset(byte[] bytes, String declared) {
        Charset charset = null;
        if (declared != null) {
            try {
                charset = Charset.forName(declared.strip());
            } catch (IllegalArgumentException e) {
                charset = null; // unknown or malformed name: fall through to the guess below
            }
        }
        if (charset != null && !charset.equals(StandardCharsets.US_ASCII)) {
            return new String(bytes, charset);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** A header value with RFC 2047 encoded words ({@code =?charset?Q|B?text?=}) decoded. */
    static String decodeHeader(String latin1) {
        String value = decodeCharset(latin1.getBytes(StandardCharsets.ISO_8859_1), null);
        value = BETWEEN_ENCODED_WORDS.matcher(value).replaceAll("$1$2");
        Matcher m = ENCODED_WORD.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String charset = m.group(1);
            int star = charset.indexOf('*');
            charset = star < 0 ? charset : charset.substring(0, star);
            byte[] bytes = m.group(2).equalsIgnoreCase("B") ? decodeBase64(m.group(3))
                    : decodeQuotedPrintable(m.group(3).replace('_', ' '));
            m.appendReplacement(out, Matcher.quoteReplacement(decodeCharset(bytes, charset)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Visible text of an HTML document: scripts, styles and comments dropped, tags removed, entities decoded. */
    static String stripHtml(String html) {
        String text = SCRIPT_OR_STYLE.matcher(html).replaceAll(" ");
        text = HTML_COMMENT.matcher(text).replaceAll(" ");
        text = INLINE_TAG.matcher(text).replaceAll("");
        text = ANY_TAG.matcher(text).replaceAll(" ");
        Matcher m = ENTITY.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(entity(m.group(1), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String entity(String name, String whole) {
        if (name.startsWith("#")) {
            boolean hex = name.length() > 1 && (name.charAt(1) == 'x' || name.charAt(1) == 'X');
            int code = Integer.parseInt(name.substring(hex ? 2 : 1), hex ? 16 : 10);
            return Character.isValidCodePoint(code) ? new String(Character.toChars(code)) : " ";
        }
        return ENTITIES.getOrDefault(name.toLowerCase(Locale.ROOT), whole);
    }

    /** Runs of white space, control characters and non-breaking spaces become one space; ends are trimmed. */
    static String collapse(String text) {
        return SPACE.matcher(text).replaceAll(" ").strip();
    }
}
