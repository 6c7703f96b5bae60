package dev.peft4j.core.method.trainabletokens;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.RowSelector;
import dev.peft4j.core.adapter.TargetModules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of trainable tokens, peft's {@code TrainableTokensConfig}: only the rows {@code tokenIndices} of the
 * embedding table of {@code targetModules} train; it is Textual Inversion (Gal et al.,
 * <a href="https://arxiv.org/abs/2208.01618">paper</a>) when the one row is a new concept's token, e.g. the spare,
 * never-trained class row of a class-conditional DiT ({@code y_embedder.embedding_table}). The rows start at the
 * table's own values (peft's {@code init_weights=True}), so the output equals the base at init. Trainable count:
 * {@code len(tokenIndices) x dim}.
 *
 * @param targetModules the module whose {@code weight} is the table, by peft's rule (a name or suffix, or one regex
 *     over the whole path); required here, since core knows no model's input embedding (peft's default). The
 *     parameter must be 2-D, {@code [rows, dim]}, read row by row.
 * @param tokenIndices the rows that train, distinct; each must be below the table's row count (checked when the
 *     adapter attaches). Saved in this order, as {@code trainable_tokens_delta [len(tokenIndices), dim]}.
 * @param modulesToSave modules trained fully and saved beside it (e.g. {@code classifier}), reported as head
 *     parameters apart from the method's own count.
 */
public record TrainableTokensConfig(TargetModules targetModules, List<Integer> tokenIndices,
        List<String> modulesToSave) implements RowSelector {

    /** peft's tensor name of the trained rows (their new values, despite the name: peft writes them over the rows). */
    public static final String DELTA = "trainable_tokens_delta";

    public TrainableTokensConfig {
        if (targetModules == null || targetModules.equals(TargetModules.none())) {
            throw new IllegalArgumentException("Trainable tokens need targetModules naming the embedding module "
                    + "whose weight holds the tokens, e.g. optTargetModules(\"y_embedder.embedding_table\")");
        }
        if (targetModules.isAllLinear()) {
            throw new IllegalArgumentException("Trainable tokens target one embedding table, not \"all-linear\"; "
                    + "name the embedding module, e.g. optTargetModules(\"y_embedder.embedding_table\")");
        }
        if (tokenIndices == null || tokenIndices.isEmpty()) {
            throw new IllegalArgumentException("Trainable tokens need at least one token index (a row of the "
                    + "table to train), found " + tokenIndices + "; use e.g. setTokenIndices(10)");
        }
        Set<Integer> seen = new HashSet<>();
        for (Integer index : tokenIndices) {
            if (index == null || index < 0) {
                throw new IllegalArgumentException("Token indices must be rows of the table (0 or more), found "
                        + index + " in " + tokenIndices + "; remove it");
            }
            if (!seen.add(index)) {
                throw new IllegalArgumentException("Token index " + index + " appears twice in " + tokenIndices
                        + "; each row trains once, so list it once");
            }
        }
        tokenIndices = List.copyOf(tokenIndices);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** Selects {@code <module>.weight} of each targeted module. */
    @Override
    public boolean selects(String name, boolean inHead) {
        int dot = name.lastIndexOf('.');
        return dot > 0 && name.endsWith(".weight") && targetModules.matches(name.substring(0, dot), inHead);
    }

    /** Refuses a target that is no 2-D parameter of the model, or a token index past the table's rows. */
    @Override
    public void checkSelection(String modelName, Map<String, Shape> selected, Map<String, Shape> parameters) {
        if (selected.isEmpty()) {
            List<String> tables = new ArrayList<>();
            parameters.forEach((name, shape) -> {
                if (shape.dimension() == 2 && name.endsWith(".weight")) {
                    tables.add(name.substring(0, name.length() - ".weight".length()) + " " + shape);
                }
            });
            throw new IllegalArgumentException("Trainable tokens: target modules " + targetModules + " matched no "
                    + "weight of " + modelName + "; its 2-D weights are in the modules " + tables + ". Target the "
                    + "embedding whose rows are the tokens, e.g. optTargetModules(\"y_embedder.embedding_table\")");
        }
        selected.forEach((name, shape) -> {
            if (shape.dimension() != 2) {
                throw new IllegalArgumentException("Trainable tokens: " + name + " of " + modelName + " has shape "
                        + shape + ", not a 2-D table [rows, dim]; target an embedding module");
            }
            long rows = shape.get(0);
            for (int index : tokenIndices) {
                if (index >= rows) {
                    throw new IllegalArgumentException("Trainable tokens: token index " + index + " is outside "
                            + name + " of " + modelName + ", which has rows 0.." + (rows - 1) + " (shape " + shape
                            + "); choose indices below " + rows);
                }
            }
        });
    }

    @Override
    public List<Integer> rows() {
        return tokenIndices;
    }

    @Override
    public String rowsTensorName() {
        return DELTA;
    }

    @Override
    public String methodId() {
        return TrainableTokensMethod.ID;
    }

    /** peft's fields: {@code token_indices} and {@code init_weights} (always true here: rows start as the table's). */
    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("token_indices", tokenIndices);
        fields.put("init_weights", true);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setTokenIndices} and {@code optTargetModules} are required. */
    public static final class Builder {
        private TargetModules targetModules;
        private List<Integer> tokenIndices;
        private List<String> modulesToSave = List.of();

        /** The rows of the table that train, e.g. the spare class row of a DiT. */
        public Builder setTokenIndices(Integer... indices) {
            this.tokenIndices = java.util.Arrays.asList(indices);
            return this;
        }

        /** The embedding module (a name or suffix), e.g. {@code y_embedder.embedding_table}. */
        public Builder optTargetModules(String... names) {
            this.targetModules = TargetModules.names(names);
            return this;
        }

        public Builder optTargetModules(TargetModules targets) {
            this.targetModules = targets;
            return this;
        }

        public Builder optModulesToSave(String... names) {
            this.modulesToSave = List.of(names);
            return this;
        }

        public TrainableTokensConfig build() {
            return new TrainableTokensConfig(targetModules, tokenIndices, modulesToSave);
        }
    }
}
