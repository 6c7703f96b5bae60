package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;

/** What a {@link RowSelector}'s rows are in the tensors it selects: their count, file key, shape and values. */
final class SelectedRows {

    private SelectedRows() {
    }

    /** The floats that train: rows x columns of every selected tensor. */
    static long count(RowSelector selector, Map<String, NDArray> tensors) {
        long total = 0;
        for (NDArray tensor : tensors.values()) {
            total += selector.rows().size() * tensor.getShape().get(1);
        }
        return total;
    }

    /** {@code base_model.model.<module path>.<rowsTensorName>} for the parameter {@code <module path>.weight}. */
    static String fileKey(RowSelector selector, String parameterName) {
        String module = parameterName.substring(0, Math.max(0, parameterName.lastIndexOf('.')));
        return PeftModel.fileKey(module, selector.rowsTensorName());
    }

    /** {@code [rows, columns]} of a {@code [all rows, columns]} parameter. */
    static Shape shape(RowSelector selector, Shape parameter) {
        return new Shape(selector.rows().size(), parameter.get(1));
    }

    /** The selected rows of a row-major {@code [all rows, columns]} tensor, in the selector's order. */
    static float[] gather(RowSelector selector, float[] values, Shape parameter) {
        int columns = Math.toIntExact(parameter.get(1));
        List<Integer> rows = selector.rows();
        float[] out = new float[rows.size() * columns];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(values, rows.get(i) * columns, out, i * columns, columns);
        }
        return out;
    }

    /** A copy of {@code base} with the selected rows replaced by {@code rowValues} (as {@link #gather} lays them). */
    static float[] scatter(RowSelector selector, float[] base, float[] rowValues, Shape parameter) {
        int columns = Math.toIntExact(parameter.get(1));
        List<Integer> rows = selector.rows();
        float[] out = base.clone();
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rowValues, i * columns, out, rows.get(i) * columns, columns);
        }
        return out;
    }
}
