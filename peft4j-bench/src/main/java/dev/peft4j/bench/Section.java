package dev.peft4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One part of the report: a table for people and a JSON value for machines, built side by side so that they always
 * show the same numbers.
 *
 * @param key the section's field in the JSON file, e.g. {@code train}
 * @param title heading above the table
 * @param header column names
 * @param rows table cells, already formatted, one list per row (as wide as {@code header})
 * @param json the section's value in the JSON file (maps, lists, numbers, strings)
 * @param notes lines printed under the table: conventions, definitions, findings
 */
record Section(String key, String title, List<String> header, List<List<String>> rows, Object json,
        List<String> notes) {

    Section {
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("Section '" + key + "': row " + row + " has " + row.size()
                        + " cells but the header " + header + " has " + header.size());
            }
        }
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
        notes = List.copyOf(notes);
    }

    /** The title, the table with right-aligned columns as wide as their widest cell, then the notes. */
    String format() {
        int[] widths = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int c = 0; c < row.size(); c++) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder out = new StringBuilder("== ").append(title).append(" ==\n");
        appendRow(out, header, widths);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < widths.length; c++) {
            rule.append(c == 0 ? "" : "  ").append("-".repeat(widths[c]));
        }
        out.append(rule).append('\n');
        rows.forEach(row -> appendRow(out, row, widths));
        notes.forEach(note -> out.append("  ").append(note).append('\n'));
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> row, int[] widths) {
        for (int c = 0; c < row.size(); c++) {
            String cell = row.get(c);
            String pad = " ".repeat(widths[c] - cell.length());
            // the first column names the row: left-aligned; numbers right-aligned
            out.append(c == 0 ? "" : "  ").append(c == 0 ? cell + pad : pad + cell);
        }
        out.append('\n');
    }

    /** {@code value} with {@code decimals} digits after the point, in the root locale ("1234.5", never "1 234,5"). */
    static String fixed(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "n/a";
    }

    /** A ratio as "1.07x". */
    static String times(double ratio) {
        return fixed(ratio, 2) + "x";
    }

    /** A fraction as "53.1%". */
    static String percent(double fraction) {
        return fixed(100 * fraction, 1) + "%";
    }

    /** Bytes in binary units ("512 B", "3.0 KiB", "87.3 MiB"). */
    static String bytes(long bytes) {
        if (bytes < 0) {
            return "-" + bytes(-bytes); // a resident set can shrink between two readings
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024L * 1024) {
            return fixed(bytes / 1024.0, 1) + " KiB";
        }
        if (bytes < 1024L * 1024 * 1024) {
            return fixed(bytes / (1024.0 * 1024), 1) + " MiB";
        }
        return fixed(bytes / (1024.0 * 1024 * 1024), 2) + " GiB";
    }
}
