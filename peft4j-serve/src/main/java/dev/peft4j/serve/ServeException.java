package dev.peft4j.serve;

/**
 * A request that cannot be served, with the HTTP status and the OpenAI-style {@code type} and {@code code} the
 * client sees: one exception type so every layer (store, batcher, routes) reports errors the same way.
 */
public class ServeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String code;

    public ServeException(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    public ServeException(int status, String type, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    /** 400: the request itself is wrong; {@code code} names what. */
    public static ServeException invalid(String code, String message) {
        return new ServeException(400, "invalid_request_error", code, message);
    }

    /**
     * 404 for a model the caller cannot see. The same message whether the adapter does not exist or belongs to
     * another tenant, so a tenant cannot learn which names other tenants use.
     */
    public static ServeException modelNotFound(String model) {
        return new ServeException(404, "invalid_request_error", "model_not_found", "The model '" + model
                + "' does not exist or you do not have access to it; GET /v1/models lists the models you can use");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }
}
