package dev.peft4j.spark;

import ai.djl.ndarray.NDManager;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The base encoders this executor JVM has loaded, kept for the JVM's life: a task borrows one and gives it back, so a
 * retried stage or the next job on the same executor does not read the model again. One copy per task running at
 * once: a task attaches its adapter to the copy it holds, so two tasks never share one.
 */
final class EncoderPool {

    /** A loaded encoder and its tokenizer; its manager lives as long as the JVM. */
    record Loaded(String key, BertModel encoder, BertTokenizer tokenizer) {
    }

    private static final Map<String, Deque<Loaded>> FREE = new ConcurrentHashMap<>();

    private EncoderPool() {
    }

    static Loaded borrow(String modelId, int maxLength) throws IOException {
        String key = modelId + "@" + maxLength;
        Deque<Loaded> free = FREE.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (free) {
            if (!free.isEmpty()) {
                return free.pop();
            }
        }
        PretrainedModel model = PretrainedModel.fromId(modelId);
        ArtifactCache cache = ArtifactCache.defaultCache();
        NDManager manager = NDManager.newBaseManager();
        return new Loaded(key, PretrainedEncoders.encoder(model, cache, manager),
                PretrainedEncoders.tokenizer(model, cache, maxLength));
    }

    static void giveBack(Loaded loaded) {
        Deque<Loaded> free = FREE.get(loaded.key());
        synchronized (free) {
            free.push(loaded);
        }
    }
}
