package dev.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A client for one server on 127.0.0.1: real HTTP, JSON in and out. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final int port;

    Http(int port) {
        this.port = port;
    }

    HttpRequest request(String method, String path, String key, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        return builder.build();
    }

    HttpResponse<String> send(String method, String path, String key, String body) {
        try {
            return client.send(request(method, path, key, body), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates {@code tenant} with the admin key (it must succeed); returns the tenant's API key. */
    String createTenant(String adminKey, String tenant) {
        HttpResponse<String> response = send("POST", "/admin/tenants", adminKey, "{\"tenant\":\"" + tenant + "\"}");
        org.junit.jupiter.api.Assertions.assertEquals(200, response.statusCode(), response.body());
        return json(response).get("key").asText();
    }

    /** Installs the adapter directory {@code source} as {@code tenant/name} by path, with the admin key. */
    HttpResponse<String> installByPath(String adminKey, String tenant, String name, java.nio.file.Path source) {
        return send("PUT", "/admin/adapters/" + tenant + "/" + name, adminKey,
                "{\"path\":" + JSON.valueToTree(source.toString()) + "}");
    }

    CompletableFuture<HttpResponse<String>> sendAsync(String method, String path, String key, String body) {
        return client.sendAsync(request(method, path, key, body), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }

    static String classify(String model, String... texts) {
        try {
            return JSON.writeValueAsString(Map.of("model", model, "input", List.of(texts)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
