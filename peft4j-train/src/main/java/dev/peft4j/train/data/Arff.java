package dev.peft4j.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A reader for Weka's dense ARFF text format: {@code @relation}, {@code @attribute NAME TYPE} lines (numeric, string,
 * date or a nominal {@code {a,b}} list), then {@code @data} rows of comma-separated values. Values may be quoted
 * with {@code '} or {@code "} and use Weka's backslash escapes ({@code \n}, {@code \t}, {@code \r}, {@code \'},
 * {@code \"}, {@code \\}, {@code \%}); {@code ?} is a missing value (null); {@code %} starts a comment line. Sparse
 * rows ({@code {0 x, 3 y}}) and relational attributes are rejected with an error, because no data set here uses
 * them.
 */
final class Arff {

    /** One declared attribute; {@code nominalValues} is empty unless {@code type} is {@code nominal}. */
    record Attribute(String name, String type, List<String> nominalValues) {
    }

    /** The parsed file; each row holds one string per attribute, null where the value is missing. */
    record Data(String relation, List<Attribute> attributes, List<List<String>> rows) {
    }

    private final String text;
    private final String source;
    private int pos;
    private int line = 1;

    private Arff(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /**
     * Parses ARFF text.
     *
     * @param source where the text came from, for error messages
     * @throws IllegalArgumentException naming the source and line for anything malformed
     */
    static Data parse(String text, String source) {
        return new Arff(text, source).parse();
    }

    private Data parse() {
        String relation = null;
        List<Attribute> attributes = new ArrayList<>();
        while (true) {
            if (pos >= text.length()) {
                throw error("reached the end of the file before @data");
            }
            String header = readLine().strip();
            if (header.isEmpty() || header.startsWith("%")) {
                continue;
            }
            String keyword = header.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
            if (keyword.equals("@data")) {
                break;
            }
            String rest = header.substring(keyword.length()).strip();
            switch (keyword) {
                case "@relation" -> relation = new Arff(rest, source).value(false);
                case "@attribute" -> attributes.add(attribute(rest));
                default -> throw error("expected @relation, @attribute or @data, found '" + abbreviate(header) + "'");
            }
        }
        if (attributes.isEmpty()) {
            throw error("no @attribute lines before @data");
        }
        return new Data(relation, List.copyOf(attributes), rows(attributes));
    }

    private Attribute attribute(String declaration) {
        Arff scanner = new Arff(declaration, source);
        String name = scanner.value(false);
        String type = declaration.substring(scanner.pos).strip();
        if (type.startsWith("{")) {
            int close = type.lastIndexOf('}');
            if (close < 0) {
                throw error("nominal attribute '" + name + "' has no closing '}': " + abbreviate(type));
            }
            List<String> values = new ArrayList<>();
            Arff list = new Arff(type.substring(1, close), source);
            while (list.skipBlanks() < list.text.length()) {
                values.add(list.value(true));
                list.skipBlanks();
                if (list.pos < list.text.length() && list.text.charAt(list.pos) == ',') {
                    list.pos++;
                }
            }
            return new Attribute(name, "nominal", List.copyOf(values));
        }
        String kind = type.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "numeric", "real", "integer" -> new Attribute(name, "numeric", List.of());
            case "string", "date" -> new Attribute(name, kind, List.of());
            default -> throw error("attribute '" + name + "' has type '" + kind + "'; supported are numeric, real, "
                    + "integer, string, date and {nominal,values}");
        };
    }

    private List<List<String>> rows(List<Attribute> attributes) {
        List<List<String>> rows = new ArrayList<>();
        while (true) {
            skipBlanks();
            if (pos >= text.length()) {
                return rows;
            }
            char first = text.charAt(pos);
            if (first == '\n' || first == '\r') {
                readLine();
                continue;
            }
            if (first == '%') {
                readLine();
                continue;
            }
            if (first == '{') {
                throw error("sparse rows ({index value, ...}) are not supported; save the file as dense ARFF");
            }
            int rowLine = line;
            List<String> row = new ArrayList<>(attributes.size());
            while (true) {
                row.add(value(true));
                skipBlanks();
                if (pos < text.length() && text.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
                    throw error("expected ',' or the end of the row after value " + row.size() + ", found '"
                            + text.charAt(pos) + "'");
                }
                break;
            }
            if (row.size() != attributes.size()) {
                throw new IllegalArgumentException("ARFF " + source + " line " + rowLine + ": expected "
                        + attributes.size() + " values (one per @attribute), found " + row.size());
            }
            for (int i = 0; i < row.size(); i++) {
                Attribute attribute = attributes.get(i);
                if (row.get(i) != null && attribute.type().equals("nominal")
                        && !attribute.nominalValues().contains(row.get(i))) {
                    throw new IllegalArgumentException("ARFF " + source + " line " + rowLine + ": value '"
                            + row.get(i) + "' of '" + attribute.name() + "' is not one of "
                            + attribute.nominalValues());
                }
            }
            rows.add(row);
        }
    }

    /** One value: quoted (with escapes) or bare up to a separator; a bare {@code ?} is null when allowed. */
    private String value(boolean missingAllowed) {
        skipBlanks();
        if (pos >= text.length()) {
            throw error("expected a value, found the end of the text");
        }
        char quote = text.charAt(pos);
        if (quote == '\'' || quote == '"') {
            return quoted(quote);
        }
        int start = pos;
        while (pos < text.length() && ",\n\r \t{}".indexOf(text.charAt(pos)) < 0) {
            pos++;
        }
        String bare = text.substring(start, pos);
        if (bare.isEmpty()) {
            throw error("expected a value, found '" + text.charAt(pos) + "'");
        }
        return missingAllowed && bare.equals("?") ? null : bare;
    }

    private String quoted(char quote) {
        int startLine = line;
        StringBuilder value = new StringBuilder();
        pos++;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) {
                return value.toString();
            }
            if (c == '\n') {
                line++;
            }
            if (c == '\\' && pos < text.length()) {
                char escaped = text.charAt(pos++);
                switch (escaped) {
                    case 'n' -> value.append('\n');
                    case 't' -> value.append('\t');
                    case 'r' -> value.append('\r');
                    case '\'', '"', '\\', '%' -> value.append(escaped);
                    default -> value.append('\\').append(escaped);
                }
                continue;
            }
            value.append(c);
        }
        throw new IllegalArgumentException("ARFF " + source + " line " + startLine + ": the value opened with " + quote
                + " is never closed");
    }

    private int skipBlanks() {
        while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
            pos++;
        }
        return pos;
    }

    private String readLine() {
        int eol = text.indexOf('\n', pos);
        int end = eol < 0 ? text.length() : eol;
        String result = text.substring(pos, end);
        pos = eol < 0 ? text.length() : eol + 1;
        line++;
        return result.endsWith("\r") ? result.substring(0, result.length() - 1) : result;
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("ARFF " + source + " line " + line + ": " + message);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
