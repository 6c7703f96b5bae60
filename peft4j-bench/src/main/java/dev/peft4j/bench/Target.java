package dev.peft4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One of the performance targets, checked against this run: {@code measured <= limit} (or {@code >=} when
 * {@code atLeast}).
 */
record Target(String name, double measured, double limit, boolean atLeast) {

    boolean met() {
        return atLeast ? measured >= limit : measured <= limit;
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("target", name);
        json.put("measured", measured);
        json.put(atLeast ? "at_least" : "at_most", limit);
        json.put("met", met());
        return json;
    }
}
