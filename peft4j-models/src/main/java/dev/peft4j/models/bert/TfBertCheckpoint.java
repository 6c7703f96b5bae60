package dev.peft4j.models.bert;

import dev.peft4j.models.io.OnnxInitializers;
import dev.peft4j.models.io.TfTensorBundle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google's original BERT checkpoint (TF names such as
 * {@code bert/encoder/layer_0/attention/self/query/kernel}) seen through Hugging Face names, the
 * mapping of {@code transformers}' {@code load_tf_weights_in_bert}: {@code layer_N} becomes
 * {@code layer.N}, LayerNorm {@code gamma|beta} become {@code weight|bias}, a dense {@code kernel}
 * ({@code [in, out]}) becomes {@code weight} transposed to {@code [out, in]}, embedding tables gain
 * {@code .weight}, and the MLM head's {@code cls/predictions/output_bias} becomes
 * {@code cls.predictions.bias}. A scope in front of {@code bert/} (TF Hub's {@code module/}) is
 * found and kept out of the Hugging Face names.
 */
final class TfBertCheckpoint implements AutoCloseable {

    private static final String WORD_EMBEDDINGS = "bert/embeddings/word_embeddings";
    private static final Pattern LAYER = Pattern.compile("^bert/encoder/layer_(\\d+)/");

    private final TfTensorBundle bundle;
    private final String scope;

    private TfBertCheckpoint(TfTensorBundle bundle, String scope) {
        this.bundle = bundle;
        this.scope = scope;
    }

    /** Opens the bundle {@code variablesPrefix} (e.g. {@code .../variables/variables}). */
    static TfBertCheckpoint open(Path variablesPrefix) throws IOException {
        TfTensorBundle bundle = TfTensorBundle.open(variablesPrefix);
        String scope = null;
        for (String name : bundle.entries().keySet()) {
            if (name.endsWith(WORD_EMBEDDINGS)) {
                scope = name.substring(0, name.length() - WORD_EMBEDDINGS.length());
                break;
            }
        }
        if (scope == null) {
            bundle.close();
            throw new IOException("TF checkpoint " + bundle.source() + " has no '" + WORD_EMBEDDINGS + "' tensor, so"
                    + " it is not a Google BERT checkpoint; it holds e.g. "
                    + bundle.entries().keySet().stream().limit(5).toList());
        }
        return new TfBertCheckpoint(bundle, scope);
    }

    /** The index file, for messages. */
    String source() {
        return bundle.source();
    }

    /** Sizes read off the tensors; the head count is in no tensor. Dropout is BERT's 0.1, eps 1e-12. */
    BertConfig config(int numHeads) {
        long[] words = bundle.entry(scope + WORD_EMBEDDINGS).shape(); // [vocab, hidden]
        long[] positions = bundle.entry(scope + "bert/embeddings/position_embeddings").shape();
        long[] types = bundle.entry(scope + "bert/embeddings/token_type_embeddings").shape();
        long[] ffn = bundle.entry(scope + "bert/encoder/layer_0/intermediate/dense/kernel").shape(); // [hidden, ffn]
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : bundle.entries().keySet()) {
            Matcher m = LAYER.matcher(name.startsWith(scope) ? name.substring(scope.length()) : "");
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty() || layers.last() != layers.size() - 1) {
            throw new IllegalArgumentException("Encoder layers in " + bundle.source() + " are not numbered 0..n-1:"
                    + " found " + layers + "; the checkpoint is not a complete BERT encoder");
        }
        return new BertConfig((int) words[0], (int) words[1], layers.size(), numHeads, (int) ffn[1],
                (int) positions[0], (int) types[0], 1e-12f, 0.1f, 0.1f);
    }

    /** Whether the masked-language-model head ({@code cls/predictions/...}) was saved too. */
    boolean hasMlmHead() {
        return bundle.contains(scope + "cls/predictions/output_bias");
    }

    /** The tensor Hugging Face calls {@code hfName}, Linear weights transposed to {@code [out, in]}. */
    OnnxInitializers.FloatTensor require(String hfName) throws IOException {
        String tfName = tfName(hfName);
        OnnxInitializers.FloatTensor tensor = bundle.floats(scope + tfName);
        return tfName.endsWith("/kernel") ? transpose(hfName, tensor)
                : new OnnxInitializers.FloatTensor(hfName, tensor.shape(), tensor.data());
    }

    /**
     * {@code encoder.layer.3.attention.self.query.weight}
     * -> {@code bert/encoder/layer_3/attention/self/query/kernel}.
     */
    static String tfName(String hfName) {
        if (hfName.equals("cls.predictions.bias")) {
            return "cls/predictions/output_bias";
        }
        String path = hfName.startsWith("cls.") ? hfName : "bert." + hfName;
        path = path.replaceFirst("\\.layer\\.(\\d+)\\.", ".layer_$1.");
        int dot = path.lastIndexOf('.');
        String module = path.substring(0, dot).replace('.', '/');
        String param = path.substring(dot + 1);
        if (module.endsWith("_embeddings") && param.equals("weight")) {
            return module;
        }
        boolean norm = module.endsWith("/LayerNorm");
        return switch (param) {
            case "weight" -> module + (norm ? "/gamma" : "/kernel");
            case "bias" -> module + (norm ? "/beta" : "/bias");
            default -> throw new IllegalArgumentException("No TF name for Hugging Face parameter '" + hfName
                    + "': expected it to end in .weight or .bias");
        };
    }

    /** [in, out] -> [out, in]. */
    private static OnnxInitializers.FloatTensor transpose(String name, OnnxInitializers.FloatTensor tensor) {
        if (tensor.shape().length != 2) {
            throw new IllegalArgumentException("Kernel '" + name + "' has shape "
                    + java.util.Arrays.toString(tensor.shape()) + "; a dense kernel must be 2-D [in, out]");
        }
        int rows = (int) tensor.shape()[0];
        int cols = (int) tensor.shape()[1];
        float[] src = tensor.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < rows; i++) {
            int rowStart = i * cols;
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[rowStart + j];
            }
        }
        return new OnnxInitializers.FloatTensor(name, new long[] {cols, rows}, dst);
    }

    /** The underlying bundle, e.g. to count every stored tensor. */
    TfTensorBundle tensors() {
        return bundle;
    }

    @Override
    public void close() throws IOException {
        bundle.close();
    }
}
