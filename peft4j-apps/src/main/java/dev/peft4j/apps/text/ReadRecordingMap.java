package dev.peft4j.apps.text;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The JSON fields handed to a method's {@code configFromJson}, remembering which keys it looked up. A method reads
 * exactly the fields it understands, so the keys read are the fields it accepts: what {@link MethodSpec} checks user
 * fields against without a list per method that could drift from the code.
 */
final class ReadRecordingMap extends LinkedHashMap<String, Object> {

    private static final long serialVersionUID = 1L;

    private final Set<String> read = new LinkedHashSet<>();

    /** The keys looked up so far, in order. */
    Set<String> read() {
        return read;
    }

    @Override
    public Object get(Object key) {
        record(key);
        return super.get(key);
    }

    @Override
    public Object getOrDefault(Object key, Object fallback) {
        record(key);
        return super.getOrDefault(key, fallback);
    }

    @Override
    public boolean containsKey(Object key) {
        record(key);
        return super.containsKey(key);
    }

    private void record(Object key) {
        if (key instanceof String name) {
            read.add(name);
        }
    }
}
