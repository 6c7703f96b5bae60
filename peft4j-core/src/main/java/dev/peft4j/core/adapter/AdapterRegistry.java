package dev.peft4j.core.adapter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The methods on the class path, found with {@link ServiceLoader}. Like peft's
 * {@code register_peft_method}, a duplicate id, peft type or tensor prefix is an error rather than
 * a silent first-wins.
 */
public final class AdapterRegistry {

    private static final AdapterRegistry DEFAULT = new AdapterRegistry(ServiceLoader.load(AdapterMethod.class));

    private final Map<String, AdapterMethod> byId = new LinkedHashMap<>();
    private final Map<String, AdapterMethod> byPeftType = new LinkedHashMap<>();

    AdapterRegistry(Iterable<AdapterMethod> methods) {
        Map<String, AdapterMethod> byPrefix = new LinkedHashMap<>();
        for (AdapterMethod method : methods) {
            register(byId, method.id(), method, "id");
            register(byPeftType, method.peftType(), method, "peft_type");
            register(byPrefix, method.prefix(), method, "tensor prefix");
        }
    }

    private static void register(Map<String, AdapterMethod> map, String key, AdapterMethod method, String what) {
        AdapterMethod previous = map.putIfAbsent(key, method);
        if (previous != null) {
            throw new IllegalStateException("Two adapter methods share the " + what + " '" + key + "': "
                    + previous.getClass().getName() + " and " + method.getClass().getName()
                    + "; give each method a unique " + what);
        }
    }

    public static AdapterRegistry defaultRegistry() {
        return DEFAULT;
    }

    public AdapterMethod byId(String id) {
        AdapterMethod method = byId.get(id);
        if (method == null) {
            throw new IllegalArgumentException("Unknown adapter method '" + id + "'; known methods: " + byId.keySet());
        }
        return method;
    }

    public AdapterMethod byPeftType(String peftType) {
        AdapterMethod method = byPeftType.get(peftType);
        if (method == null) {
            throw new IllegalArgumentException("Unknown peft_type '" + peftType + "'; this build reads "
                    + byPeftType.keySet());
        }
        return method;
    }

    public Map<String, AdapterMethod> methods() {
        return Collections.unmodifiableMap(byId);
    }
}
