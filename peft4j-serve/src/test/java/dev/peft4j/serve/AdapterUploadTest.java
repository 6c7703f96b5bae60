package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.core.io.DirectoryManifest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PUT /admin/adapters/T/NAME} with the adapter's files as {@code multipart/form-data}: staged in the state
 * directory, then the same checked install as a path, so a good upload serves as the directory does, and a broken
 * one (truncated tensors, another base) is refused by name while the adapter it would replace keeps serving. File
 * names and the size are checked before anything is installed; nothing stays in staging either way.
 */
class AdapterUploadTest {

    private static final String PROMPT = "Call me";

    @TempDir
    Path dir;

    private ServeServer server;
    private Http http;
    private String admin;
    private String key;
    private Path state;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop(5_000);
        }
    }

    private void start(ServedModel model, ServeLimits limits) throws IOException {
        state = dir.resolve("state");
        ApiKeys keys = ApiKeys.open(state);
        admin = keys.initAdmin();
        AdapterStore store = new AdapterStore(state, model);
        server = new ServeServer(keys, store, limits).start("127.0.0.1", 0);
        http = new Http(server.port());
        key = keys.createTenantKey("one");
    }

    private HttpResponse<String> upload(String name, Map<String, byte[]> files) {
        return Multipart.put(server.port(), admin, "one", name, files);
    }

    private String completion(String model) {
        HttpResponse<String> response = http.send("POST", "/v1/completions", key, CompletionsServerTest.body(
                "model", model, "prompt", PROMPT, "max_tokens", 10, "temperature", 0));
        assertEquals(200, response.statusCode(), response.body());
        return Http.json(response).get("choices").get(0).get("text").asText();
    }

    private void assertRefused(HttpResponse<String> response, int status, String code, String messagePart) {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = Http.json(response).get("error");
        assertEquals(code, error.get("code").asText(), error.toString());
        assertTrue(error.get("message").asText().contains(messagePart), error.toString());
    }

    /** Nothing of an upload may stay behind in staging, installed or refused (Jetty's spool folder excepted). */
    private void assertStagingEmpty() throws IOException {
        try (Stream<Path> left = Files.list(state.resolve("staging"))) {
            assertEquals(List.of("multipart"), left.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void anUploadedAdapterServesAsItsDirectoryDoesAndABrokenOneLeavesThePreviousServing() throws IOException {
        Path modelDir = TinyLlama.model(dir.resolve("model"), TinyLlama.BASE_SEED);
        Path adapterA = TinyLlama.adapter(dir.resolve("src/a"), modelDir, 0.3f);
        start(ServedDecoder.open(modelDir.toString()), ServeLimits.defaults());
        Map<String, byte[]> files = Multipart.filesOf(adapterA);
        assertTrue(files.containsKey("adapter_config.json") && files.containsKey("adapter_model.safetensors")
                && files.containsKey(DirectoryManifest.FILE_NAME), files.keySet().toString());

        HttpResponse<String> put = upload("x", files);
        assertEquals(200, put.statusCode(), put.body());
        assertEquals("x", Http.json(put).get("name").asText());
        String served = completion("x");
        assertEquals(TinyLlama.reference(modelDir, adapterA, PROMPT, TinyLlama.greedy(10)).text(), served);
        assertArrayEquals(files.get("adapter_model.safetensors"),
                Files.readAllBytes(state.resolve("adapters/one/x/adapter_model.safetensors")));
        assertStagingEmpty();

        // truncated tensors: with the manifest the digest differs, without it the safetensors header is cut
        Map<String, byte[]> truncated = new LinkedHashMap<>(files);
        byte[] tensors = files.get("adapter_model.safetensors");
        truncated.put("adapter_model.safetensors", Arrays.copyOf(tensors, tensors.length / 2));
        assertRefused(upload("x", truncated), 422, "invalid_adapter", "SHA-256");
        truncated.remove(DirectoryManifest.FILE_NAME);
        HttpResponse<String> cut = upload("x", truncated);
        assertRefused(cut, 422, "invalid_adapter", "Adapter one/x was refused");
        assertTrue(cut.body().contains("adapter_model.safetensors"), cut.body());

        // an adapter of another base: refused by its fingerprint
        Path otherModel = TinyLlama.model(dir.resolve("other-model"), 99);
        Path otherBase = TinyLlama.adapter(dir.resolve("src/other"), otherModel, 0.3f);
        assertRefused(upload("x", Multipart.filesOf(otherBase)), 422, "invalid_adapter", "peft4j.base_sha256.");

        assertEquals(served, completion("x"), "a refused upload must leave the installed adapter serving");
        assertStagingEmpty();
    }

    @Test
    void badFileNamesRepeatsNoFilesAndOversizedUploadsAreRefusedBeforeInstalling() throws IOException {
        Path modelDir = TinyLlama.model(dir.resolve("model"), TinyLlama.BASE_SEED);
        Path adapterA = TinyLlama.adapter(dir.resolve("src/a"), modelDir, 0.3f);
        Map<String, byte[]> files = Multipart.filesOf(adapterA);
        long size = files.values().stream().mapToLong(b -> b.length).sum();
        start(ServedDecoder.open(modelDir.toString()), ServeLimits.defaults().withMaxUploadBytes(size));
        for (String bad : List.of("../adapter_config.json", "sub/adapter_model.safetensors", "..", ".hidden",
                "a..b")) {
            Map<String, byte[]> named = new LinkedHashMap<>(files);
            named.put(bad, new byte[] {1});
            HttpResponse<String> response = upload("x", named);
            assertEquals(400, response.statusCode(), bad + ": " + response.body());
            assertTrue(Http.json(response).get("error").get("code").asText().startsWith("invalid_"),
                    response.body());
            assertTrue(response.body().contains("no path separators, no '..'"), response.body());
        }
        assertRefused(upload("x", Map.of()), 400, "invalid_upload", "found none");
        Map<String, byte[]> over = new LinkedHashMap<>(files);
        over.put("README.md", new byte[] {'#'});
        assertRefused(upload("x", over), 413, "upload_too_large", "limit of " + size + " bytes");
        assertRefused(upload("x", Map.of("adapter_model.safetensors", files.get("adapter_model.safetensors"))),
                400, "invalid_path", "adapter_config.json");
        assertEquals(404, http.send("POST", "/v1/completions", key, CompletionsServerTest.body("model", "x",
                "prompt", PROMPT)).statusCode());
        assertStagingEmpty();
        assertEquals(200, upload("x", files).statusCode(), "exactly the limit is allowed");
    }

    @Test
    void anEncoderTakesUploadsTooAndSaysItServesNoCompletions() throws IOException {
        Path vocab = TinyBase.vocab(dir.resolve("vocab"));
        Path adapter = TinyBase.adapter(dir.resolve("src/a"), TinyBase.BASE_SEED, 0.3f);
        start(TinyBase.served(vocab), ServeLimits.defaults());
        assertEquals(200, upload("a", Multipart.filesOf(adapter)).statusCode());
        HttpResponse<String> classified = http.send("POST", "/v1/classify", key, Http.classify("a", "good film"));
        assertEquals(200, classified.statusCode(), classified.body());
        double[][] expected = TinyBase.reference(vocab, adapter, List.of("good film"));
        assertEquals(expected[0][1], Http.json(classified).get("data").get(0).get("probabilities").get("pos")
                .asDouble(), 1e-6);
        HttpResponse<String> completion = http.send("POST", "/v1/completions", key, CompletionsServerTest.body(
                "model", "a", "prompt", PROMPT));
        assertRefused(completion, 404, "endpoint_not_served", "serves an encoder");
    }
}
