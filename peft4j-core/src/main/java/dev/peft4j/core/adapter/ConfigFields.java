package dev.peft4j.core.adapter;

import java.util.List;
import java.util.Map;

/** Reading the common fields of {@code adapter_config.json} (peft's spelling) in every method's {@code configFromJson}. */
public final class ConfigFields {

    private ConfigFields() {
    }

    /** A JSON list of strings; null or absent gives an empty list. */
    public static List<String> stringList(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("expected a list of names, found " + value);
        }
        return list.stream().map(String::valueOf).toList();
    }

    /** A number field, or {@code fallback} when absent. */
    public static Number number(Map<String, Object> json, String key, Number fallback) {
        Object value = json.get(key);
        if (value == null) {
            if (fallback == null) {
                throw new IllegalArgumentException("field '" + key + "' is missing; it is required");
            }
            return fallback;
        }
        if (!(value instanceof Number number)) {
            throw new IllegalArgumentException("field '" + key + "' must be a number, found " + value);
        }
        return number;
    }

    /** A boolean field, or {@code fallback} when absent. */
    public static boolean flag(Map<String, Object> json, String key, boolean fallback) {
        Object value = json.get(key);
        return value == null ? fallback : Boolean.TRUE.equals(value);
    }
}
