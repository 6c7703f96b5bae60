package dev.peft4j.spark;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.PeftModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * SHA-256 over what every worker must agree on before the first step: the base model's parameters as loaded and the
 * trainable tensors as the method initialised them (LoLDU's z comes from each worker's own decomposition of the base,
 * so this also catches two executors whose LU factorisations of the same bytes differ).
 */
final class ModelFingerprint {

    private ModelFingerprint() {
    }

    static String of(PeftModel peft) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            add(digest, "base", peft.model().parameters());
            add(digest, "trainable", peft.trainableParameters());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }

    private static void add(MessageDigest digest, String part, Map<String, NDArray> tensors) {
        digest.update(part.getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, NDArray> e : new TreeMap<>(tensors).entrySet()) {
            digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            float[] values = e.getValue().toFloatArray();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            digest.update(bytes);
        }
    }
}
