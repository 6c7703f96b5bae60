package dev.peft4j.core.method.trainabletokens;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.TrainingHook;
import dev.peft4j.core.nd.Tensors;
import java.util.List;
import java.util.Map;

/**
 * After every optimiser step, writes the original values back into every row of the table except the token rows.
 *
 * <p>Why after the step and not by masking the gradient: the model reads the whole table, so the whole table is
 * the trainer's tensor, and AdamW moves a row without a gradient too (decoupled weight decay shrinks every row, and
 * the moments of a row that had a gradient earlier keep moving it). Writing the saved originals back after each
 * update makes the other rows bit-identical to the base after any number of steps, whatever the optimiser does; the
 * moments it keeps for them are never seen. It costs a copy of the table per step, nothing against a step for a
 * class table; the trainer's checkpoints hold the whole table, whose other rows are then the originals.
 */
final class OtherRowsReset implements TrainingHook {

    private final List<Integer> tokenRows;
    private final Map<String, NDArray> tables;
    private final Map<String, float[]> originals;

    OtherRowsReset(List<Integer> tokenRows, Map<String, NDArray> tables, Map<String, float[]> originals) {
        this.tokenRows = tokenRows;
        this.tables = tables;
        this.originals = originals;
    }

    @Override
    public void afterStep(int step, int totalSteps) {
        tables.forEach((name, table) -> {
            int dim = Math.toIntExact(table.getShape().get(1));
            float[] trained = table.toFloatArray();
            float[] restored = originals.get(name).clone();
            for (int row : tokenRows) {
                System.arraycopy(trained, row * dim, restored, row * dim, dim);
            }
            Tensors.overwrite(table, restored);
        });
    }
}
