package dev.peft4j.serve;

import java.util.regex.Pattern;

/**
 * The names tenants and adapters may have: they become directory names under the state directory and parts of the
 * served model's internal adapter names, so only characters that are safe in both are allowed (no path separators,
 * no {@code ..} on its own).
 */
public final class Names {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private Names() {
    }

    /** {@code value} if it is a valid name, otherwise a 400 naming {@code what} and the rule. */
    public static String require(String what, String value) {
        if (value == null || !NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw ServeException.invalid("invalid_" + what, "Invalid " + what + " name "
                    + (value == null ? "(missing)" : "'" + value + "'") + ": expected 1 to 64 characters of "
                    + "A-Z a-z 0-9 . _ - (not '.' or '..'); choose another name");
        }
        return value;
    }
}
