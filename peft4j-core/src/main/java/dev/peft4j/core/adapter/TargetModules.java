package dev.peft4j.core.adapter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which linear layers an adapter targets, with peft's rules: a list of names matches a module
 * whose path equals a name or ends with {@code "." + name}; a single regex must match the whole
 * path; {@code all-linear} takes every linear layer except the output heads.
 */
public final class TargetModules {

    public static final String ALL_LINEAR = "all-linear";

    private final List<String> names; // null when regex
    private final Pattern regex; // null when names

    private TargetModules(List<String> names, Pattern regex) {
        this.names = names;
        this.regex = regex;
    }

    /** Exact module paths or suffixes such as {@code query}, {@code attention.output.dense}, or {@code all-linear}. */
    public static TargetModules names(Collection<String> names) {
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException("targetModules is empty; give module names such as \"query\", "
                    + "\"value\", a regex, or \"all-linear\"");
        }
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("targetModules contains a blank name: " + names);
            }
        }
        return new TargetModules(List.copyOf(names), null);
    }

    public static TargetModules names(String... names) {
        return names(List.of(names));
    }

    /** A regex that must match the full module path, as peft does for a string target_modules. */
    public static TargetModules regex(String expression) {
        try {
            return new TargetModules(null, Pattern.compile(expression));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("targetModules regex '" + expression + "' is not valid: "
                    + e.getDescription(), e);
        }
    }

    public static TargetModules allLinear() {
        return names(ALL_LINEAR);
    }

    private static final TargetModules NONE = new TargetModules(List.of(), null);

    /**
     * No linear layer: the targets of a method that trains the model's own parameters in place (BitFit, full
     * fine-tuning, the linear probe). Written as {@code null} in adapter_config.json.
     */
    public static TargetModules none() {
        return NONE;
    }

    /** Same names (in order) or the same regex: configs holding equal targets are equal. */
    @Override
    public boolean equals(Object other) {
        return other instanceof TargetModules t && java.util.Objects.equals(names, t.names)
                && java.util.Objects.equals(regexText(), t.regexText());
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(names, regexText());
    }

    private String regexText() {
        return regex == null ? null : regex.pattern();
    }

    public boolean isAllLinear() {
        return names != null && names.size() == 1 && ALL_LINEAR.equals(names.get(0));
    }

    /** Whether {@code path} is targeted; heads count only when named explicitly. */
    public boolean matches(String path, boolean isHead) {
        if (isAllLinear()) {
            return !isHead;
        }
        if (regex != null) {
            return regex.matcher(path).matches();
        }
        return matchesAny(names, path);
    }

    /** Exact-or-suffix matching shared by targets, exclusions and modules to save. */
    public static boolean matchesAny(List<String> candidates, String path) {
        for (String name : candidates) {
            if (path.equals(name) || path.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }

    /** The value for {@code target_modules} in adapter_config.json: a list, or a string regex. */
    public Object toJson() {
        if (this == NONE) {
            return null;
        }
        return regex != null ? regex.pattern() : (isAllLinear() ? ALL_LINEAR : new ArrayList<>(names));
    }

    /** Reads peft's {@code target_modules}: a list of names or a regex string. */
    public static TargetModules fromJson(Object value) {
        if (value instanceof String s) {
            return ALL_LINEAR.equals(s) ? allLinear() : regex(s);
        }
        if (value instanceof Collection<?> c) {
            return names(c.stream().map(String::valueOf).toList());
        }
        throw new IllegalArgumentException("target_modules must be a list of names or a regex string, found "
                + value);
    }

    @Override
    public String toString() {
        return String.valueOf(toJson());
    }

    /** Distinct trailing names of the given paths, for error messages ("query, key, value, ..."). */
    public static List<String> layerNameSuffixes(Map<String, ?> layersByPath) {
        List<String> suffixes = new ArrayList<>();
        for (String path : layersByPath.keySet()) {
            String suffix = path.replaceFirst("^.*?\\.\\d+\\.", "");
            if (!suffixes.contains(suffix)) {
                suffixes.add(suffix);
            }
        }
        return suffixes;
    }
}
