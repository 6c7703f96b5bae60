package dev.peft4j.apps.diffusion;

import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.AdapterConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The method a concept is learnt with, whose config may name the concept's spare row of the class table before that
 * row is known: an {@code extra} field whose value is {@value #SPARE_ROW} becomes {@code [spare row]} (e.g. Textual
 * Inversion's {@code token_indices} on {@code y_embedder.embedding_table}). Null {@code spec}: no fine-tuning, the
 * base model with its untrained spare row.
 *
 * @param spec the method and its knobs, or null for none
 */
public record ConceptMethod(MethodSpec spec) {

    /** The placeholder of the spare row in an {@code extra} field ({@code --method-arg token_indices=$spare_row}). */
    public static final String SPARE_ROW = "$spare_row";
    /** The method id of the row without fine-tuning. */
    public static final String NONE = "none";

    /** Whether no fine-tuning happens. */
    public boolean baseOnly() {
        return spec == null;
    }

    /** The method's id, or {@value #NONE}. */
    public String id() {
        return spec == null ? NONE : spec.method();
    }

    /**
     * The method's config with the placeholder resolved; the DiT has no classification head, so nothing is saved
     * beside the adapter.
     *
     * @throws IllegalStateException for the row without fine-tuning, which has none
     */
    public AdapterConfig toConfig(int spareRow) {
        if (spec == null) {
            throw new IllegalStateException("The row without fine-tuning has no adapter config");
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        Map<String, Object> given = spec.extra() == null ? Map.of() : spec.extra();
        given.forEach((key, value) -> extra.put(key, SPARE_ROW.equals(value) ? List.of(spareRow) : value));
        return new MethodSpec(spec.method(), spec.rank(), spec.alpha(), spec.init(), spec.targets(), spec.trainSigma(),
                extra).toConfig(List.of());
    }
}
