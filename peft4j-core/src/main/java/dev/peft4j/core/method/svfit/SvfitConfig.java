package dev.peft4j.core.method.svfit;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of SVFit (<a href="https://arxiv.org/abs/2409.05926">paper</a>): with the top-r SVD
 * {@code W ≈ U_r diag(S_r) V_r^T}, train {@code s [r]} (starting at {@code S_r}) in
 * {@code W_res + U_r diag(s) V_r^T}, {@code W_res = W - U_r diag(S_r) V_r^T} frozen; output equals the
 * base at init. The closest SVD analogue of LoLDU: r floats per weight.
 *
 * @param rank r, the number of singular values trained; capped per layer at min(m, n).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record SvfitConfig(int rank, TargetModules targetModules, List<String> excludeModules,
        List<String> modulesToSave) implements AdapterConfig {

    public SvfitConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("SVFit rank must be at least 1, found " + rank + "; use e.g. 64");
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("SVFit targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    @Override
    public String methodId() {
        return SvfitMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setRank} is required, the rest optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int rank = -1;

        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public SvfitConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("SVFit rank is required: call setRank(r), e.g. setRank(64)");
            }
            return new SvfitConfig(rank, targetModules, excludeModules, modulesToSave);
        }
    }
}
