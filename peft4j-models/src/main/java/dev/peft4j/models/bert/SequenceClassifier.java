package dev.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.TaskType;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.Dropout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A BERT encoder with a pooled linear classification head, like Hugging Face's
 * {@code BertForSequenceClassification} but pooling without the pretrained pooler (the ONNX exports
 * have none): a masked mean over tokens (sentence-transformers' pooling, the better default for
 * MiniLM and BGE) or the {@code [CLS]} vector.
 *
 * <p>The head is the slot {@code classifier} ([numLabels, hidden], N(0, 0.02) from a seed, zero
 * bias) and starts frozen like everything else; a method or probe marks it trainable. An adapter that saves the head
 * ({@code modulesToSave("classifier")}) has its own copy of it, which the adapter selection picks per row like the
 * adapter's other tensors; the base selection uses this original head. The
 * classifier does not own the encoder: {@link #close()} frees the head and detaches adapters, and
 * the encoder stays usable.
 */
public final class SequenceClassifier implements AdaptableModel {

    /** How token vectors become one vector per text. */
    public enum Pooling {
        /** Mean over the tokens whose attention mask is 1. */
        MEAN,
        /** The first token's vector ({@code [CLS]}). */
        CLS
    }

    public static final String HEAD = "classifier";

    private final BertModel encoder;
    private final Pooling pooling;
    private final NDManager manager;
    private final LinearSlot head;
    private final Map<String, LinearSlot> slots;

    private SequenceClassifier(BertModel encoder, Pooling pooling, int numLabels, long seed) {
        if (numLabels < 1) {
            throw new IllegalArgumentException("numLabels must be >= 1, found " + numLabels);
        }
        this.encoder = encoder;
        this.pooling = pooling;
        this.manager = encoder.manager().newSubManager();
        NDArray weight = BertWeights.normal(new Random(seed), 0.02f,
                new Shape(numLabels, encoder.config().hiddenSize()), manager); // [labels, hidden]
        this.head = new LinearSlot(HEAD, weight, manager.zeros(new Shape(numLabels)));
        Map<String, LinearSlot> allSlots = new LinkedHashMap<>(encoder.linearLayers());
        allSlots.put(HEAD, head);
        this.slots = Collections.unmodifiableMap(allSlots);
    }

    /** Masked mean pooling, then the head. */
    public static SequenceClassifier meanPooled(BertModel encoder, int numLabels, long seed) {
        return new SequenceClassifier(encoder, Pooling.MEAN, numLabels, seed);
    }

    /** [CLS] pooling, then the head. */
    public static SequenceClassifier cls(BertModel encoder, int numLabels, long seed) {
        return new SequenceClassifier(encoder, Pooling.CLS, numLabels, seed);
    }

    /** Logits [batch, numLabels]; arguments as in {@link BertModel#forward}. */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training) {
        return classify(inputIds, attentionMask, tokenTypeIds, training, null);
    }

    /**
     * Logits [batch, numLabels] under an explicit adapter choice (one for the batch, one per row, or the base), each
     * row through its adapter's encoder layers and its adapter's head. Reads and writes no active-adapter state, so
     * calls with different selections may run concurrently.
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
            AdapterSelection selection) {
        Objects.requireNonNull(selection, "selection (use the forward without one for the active adapter)");
        selection.requireLoadedIn(this).requireRows(inputIds.getShape().get(0), modelName());
        return classify(inputIds, attentionMask, tokenTypeIds, training, selection);
    }

    private NDArray classify(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
            AdapterSelection selection) {
        NDArray hidden = encoder.encode(inputIds, attentionMask, tokenTypeIds, training, selection);
        NDArray pooled = pool(hidden, attentionMask);
        return head.forward(Dropout.apply(pooled, encoder.config().hiddenDropout(), training), selection);
    }

    /** [batch, seq, hidden] -> [batch, hidden]. */
    public NDArray pool(NDArray hidden, NDArray attentionMask) {
        if (pooling == Pooling.CLS) {
            return hidden.get(new NDIndex(":, 0, :"));
        }
        if (attentionMask == null) {
            return hidden.mean(new int[] {1});
        }
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false).expandDims(2); // [batch, seq, 1]
        NDArray summed = hidden.mul(mask).sum(new int[] {1}); // [batch, hidden]
        NDArray counts = mask.sum(new int[] {1}).maximum(1e-9f); // [batch, 1]
        return summed.div(counts);
    }

    public BertModel encoder() {
        return encoder;
    }

    public Pooling pooling() {
        return pooling;
    }

    public int numLabels() {
        return (int) head.outFeatures();
    }

    /** The head slot {@code classifier}. */
    public LinearSlot head() {
        return head;
    }

    @Override
    public String modelName() {
        return "SequenceClassifier(" + encoder.modelName() + ", " + pooling + ")";
    }

    /** The encoder's: the head is the adapter's to save, as for {@code AutoModelForSequenceClassification}. */
    @Override
    public String baseModelNameOrPath() {
        return encoder.baseModelNameOrPath();
    }

    @Override
    public TaskType taskType() {
        return TaskType.SEQ_CLS;
    }

    /** The encoder's linear layers, then {@code classifier}. */
    @Override
    public Map<String, LinearSlot> linearLayers() {
        return slots;
    }

    /** The encoder's parameters, then {@code classifier.weight} and {@code classifier.bias}. */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> all = new LinkedHashMap<>(encoder.parameters());
        all.put(HEAD + ".weight", head.weight());
        all.put(HEAD + ".bias", head.bias());
        return Collections.unmodifiableMap(all);
    }

    @Override
    public Set<String> headModules() {
        return Set.of(HEAD);
    }

    /** A sub-manager of the encoder's: owns the head and whatever is attached through this model. */
    @Override
    public NDManager manager() {
        return manager;
    }

    /** Detaches every adapter (encoder slots included) and frees the head; the encoder stays open. */
    @Override
    public void close() {
        for (LinearSlot slot : slots.values()) {
            slot.unload();
        }
        manager.close();
    }
}
