package dev.peft4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;

/**
 * JSON in and out of the routes, shared by {@link ServeServer} and {@link CompletionRoutes} so that bodies are read
 * under the same size limit and errors have one shape: OpenAI's {@code {"error": {message, type, code}}}, with
 * {@code Retry-After} on a 429.
 */
final class HttpJson {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String JSON_TYPE = "application/json";
    /** How much of a refused body {@link #discardBody} reads before it gives up and lets the connection close. */
    static final long DISCARD_LIMIT_BYTES = 64L << 20;

    private HttpJson() {
    }

    /** The JSON object body, within {@code maxBytes}; 413, or a 400 naming where the JSON broke. */
    static JsonNode body(Context ctx, long maxBytes) {
        if (ctx.contentLength() > maxBytes) {
            throw tooLarge(ctx.contentLength(), maxBytes);
        }
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > maxBytes) {
            throw tooLarge(bytes.length, maxBytes);
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw ServeException.invalid("invalid_json", "Expected the body to be a JSON object, found "
                        + (node == null ? "nothing" : typeOf(node)));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ServeException.invalid("invalid_json", "The body is not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw ServeException.invalid("invalid_json", "The body could not be read: " + e.getMessage());
        }
    }

    /**
     * Reads and drops what is left of the body of a refused request (at most {@link #DISCARD_LIMIT_BYTES}), so that
     * the client, which may still be sending, receives the refusal: a server that answers and closes with the body
     * unread resets the connection, and the client sees "header parser received no bytes" instead of its 413 (it
     * happened in CI for a 1 MiB body; a 401 or 429 before the body is read would meet the same fate). A larger body
     * is cut off by closing, as nginx's lingering close does.
     */
    private static void discardBody(Context ctx) {
        byte[] buffer = new byte[1 << 16];
        long read = 0;
        try {
            InputStream in = ctx.req().getInputStream();
            int n;
            while (read < DISCARD_LIMIT_BYTES && (n = in.read(buffer)) > 0) {
                read += n;
            }
        } catch (IOException | IllegalStateException e) {
            // the client has gone, or the body was taken as a reader: the answer goes out as it would have
        }
    }

    static ServeException tooLarge(long size, long maxBytes) {
        return new ServeException(413, "invalid_request_error", "request_too_large", "The body is " + size
                + " bytes, over the limit of " + maxBytes + "; send fewer or shorter texts per request");
    }

    /** The string {@code field} of {@code body}; a 400 naming the field and what it was otherwise. */
    static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' to be a string, found "
                    + (value == null ? "none" : typeOf(value)));
        }
        return value.asText();
    }

    /** A node's JSON type in the words of an error message: "number", "array", "null", ... */
    static String typeOf(JsonNode node) {
        return node.getNodeType().toString().toLowerCase();
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree always serialises", e);
        }
    }

    static void send(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType(JSON_TYPE).result(write(body));
    }

    /** OpenAI's error object for {@code e}. */
    static ObjectNode errorBody(ServeException e) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", e.getMessage()).put("type", e.type()).put("code", e.code());
        return body;
    }

    /** Answers {@code e}, after reading what is left of the request's body ({@link #discardBody}). */
    static void error(Context ctx, ServeException e) {
        discardBody(ctx);
        if (e.status() == 429) {
            ctx.header("Retry-After", "1");
        }
        send(ctx, e.status(), errorBody(e));
    }
}
