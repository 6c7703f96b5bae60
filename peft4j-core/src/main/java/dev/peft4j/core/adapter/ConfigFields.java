package dev.peft4j.core.adapter;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one place where fields of {@code adapter_config.json} (peft's spelling) are read: every method's
 * {@code configFromJson} and the common fields go through these helpers, which check the JSON type and range and
 * throw a {@link FieldException} naming the field, what was expected, what was found and what to do. The adapter
 * loader turns it into an {@link dev.peft4j.core.io.AdapterFormatException} that also names the file.
 *
 * <p>"Absent" means the key is missing or JSON {@code null}; a field with a fallback takes it then, a required one
 * is an error. Integers must be integral ({@code 64} or {@code 64.0}, never {@code 64.7}) and fit their Java type.
 */
public final class ConfigFields {

    private static final String FIX = "correct the field in adapter_config.json, or save the adapter again";

    /** A field of adapter_config.json that has the wrong JSON type or an out-of-range value. */
    public static final class FieldException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;
        private final String expected;
        private final String found;
        private final String fix;

        public FieldException(String field, String expected, String found, String fix) {
            super("field \"" + field + "\": expected " + expected + ", found " + found + ". Fix: " + fix);
            this.field = field;
            this.expected = expected;
            this.found = found;
            this.fix = fix;
        }

        public String field() {
            return field;
        }

        public String expected() {
            return expected;
        }

        public String found() {
            return found;
        }

        public String fix() {
            return fix;
        }
    }

    private ConfigFields() {
    }

    /** A required count: an integral JSON number {@code >= 1} that fits an int (a rank, a number of frequencies). */
    public static int positiveInt(Map<String, Object> json, String key) {
        return positiveInt(key, json.get(key), null);
    }

    /** As {@link #positiveInt(Map, String)}, with {@code fallback} when absent. */
    public static int positiveInt(Map<String, Object> json, String key, int fallback) {
        return positiveInt(key, json.get(key), fallback);
    }

    private static int positiveInt(String key, Object value, Integer fallback) {
        String expected = "a positive integer (a count, at most " + Integer.MAX_VALUE + ")";
        if (value == null) {
            return requireFallback(key, expected, fallback);
        }
        BigInteger integral = integral(key, value, expected);
        if (integral.signum() <= 0 || integral.bitLength() > 31) {
            throw new FieldException(key, expected, describe(value), FIX);
        }
        return integral.intValue();
    }

    /** Any integral JSON number that fits a long (a seed), or {@code fallback} when absent. */
    public static long integer(Map<String, Object> json, String key, long fallback) {
        Object value = json.get(key);
        if (value == null) {
            return fallback;
        }
        String expected = "an integer between " + Long.MIN_VALUE + " and " + Long.MAX_VALUE;
        BigInteger integral = integral(key, value, expected);
        if (integral.bitLength() > 63) {
            throw new FieldException(key, expected, describe(value), FIX);
        }
        return integral.longValue();
    }

    /** A finite JSON number that fits a float, or {@code fallback} when absent. */
    public static float finiteFloat(Map<String, Object> json, String key, float fallback) {
        Object value = json.get(key);
        if (value == null) {
            return fallback;
        }
        String expected = "a finite number";
        if (!(value instanceof Number number) || !Float.isFinite(number.floatValue())) {
            throw new FieldException(key, expected, describe(value), FIX);
        }
        return number.floatValue();
    }

    /** A JSON boolean, or {@code fallback} when absent. */
    public static boolean flag(Map<String, Object> json, String key, boolean fallback) {
        Object value = json.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Boolean b)) {
            throw new FieldException(key, "true or false", describe(value), FIX);
        }
        return b;
    }

    /** A required JSON string. */
    public static String string(Map<String, Object> json, String key) {
        return string(json, key, null);
    }

    /** A JSON string, or {@code fallback} when absent ({@code null} fallback: the field is required). */
    public static String string(Map<String, Object> json, String key, String fallback) {
        Object value = json.get(key);
        if (value == null) {
            return requireFallback(key, "a string", fallback);
        }
        if (!(value instanceof String s)) {
            throw new FieldException(key, "a string", describe(value), FIX);
        }
        return s;
    }

    /** A JSON list of strings; absent gives an empty list. */
    public static List<String> stringList(Map<String, Object> json, String key) {
        Object value = json.get(key);
        if (value == null) {
            return List.of();
        }
        String expected = "a list of strings (module names)";
        if (!(value instanceof List<?> list)) {
            throw new FieldException(key, expected, describe(value), FIX);
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String s)) {
                throw new FieldException(key, expected, "an element " + describe(item), FIX);
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    /**
     * A required JSON list of row indices (integral numbers {@code >= 0} that fit an int), e.g. peft's
     * {@code token_indices}; duplicates and the range are the config's and the model's to check.
     */
    public static List<Integer> indexList(Map<String, Object> json, String key) {
        Object value = json.get(key);
        String expected = "a list of non-negative integers (row indices)";
        if (value == null) {
            return requireFallback(key, expected, null);
        }
        if (!(value instanceof List<?> list)) {
            throw new FieldException(key, expected, describe(value), FIX);
        }
        List<Integer> out = new ArrayList<>(list.size());
        for (Object item : list) {
            BigInteger integral = integral(key, item, expected);
            if (integral.signum() < 0 || integral.bitLength() > 31) {
                throw new FieldException(key, expected, "an element " + describe(item), FIX);
            }
            out.add(integral.intValue());
        }
        return List.copyOf(out);
    }

    /** A JSON object, or null when absent. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Map<String, Object> json, String key) {
        Object value = json.get(key);
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new FieldException(key, "a JSON object", describe(value), FIX);
        }
        return (Map<String, Object>) map;
    }

    /** {@code target_modules}: required, a list of module names or one regex string ({@code "all-linear"} too). */
    public static TargetModules targetModules(Map<String, Object> json) {
        String key = "target_modules";
        Object value = json.get(key);
        String expected = "a list of module names or a regex string";
        if (value instanceof String) {
            return TargetModules.fromJson(value);
        }
        if (value instanceof List<?>) {
            return TargetModules.fromJson(stringList(json, key));
        }
        throw new FieldException(key, expected, describe(value), FIX);
    }

    private static <T> T requireFallback(String key, String expected, T fallback) {
        if (fallback == null) {
            throw new FieldException(key, expected, "no such field (it is required)", "add the field to "
                    + "adapter_config.json, or save the adapter again");
        }
        return fallback;
    }

    /** The exact integer value of a JSON number, or an error when it is not a number or has a fraction. */
    private static BigInteger integral(String key, Object value, String expected) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return BigInteger.valueOf(((Number) value).longValue());
        }
        if (value instanceof BigInteger big) {
            return big;
        }
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
            BigDecimal exact = value instanceof BigDecimal d ? d : new BigDecimal(number.doubleValue());
            try {
                return exact.toBigIntegerExact();
            } catch (ArithmeticException fraction) {
                throw new FieldException(key, expected, describe(value) + " (it has a fraction; integers are not "
                        + "rounded)", FIX);
            }
        }
        throw new FieldException(key, expected, describe(value), FIX);
    }

    /** A value with its JSON type, so that {@code "64"} (a string) reads apart from {@code 64} (a number). */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\" (a string)";
        }
        String type = value instanceof Number ? "a number" : value instanceof Boolean ? "a boolean"
                : value instanceof List<?> ? "a list" : value instanceof Map<?, ?> ? "an object" : "a "
                + value.getClass().getSimpleName();
        String text = String.valueOf(value);
        return (text.length() > 40 ? text.substring(0, 40) + "..." : text) + " (" + type + ")";
    }
}
