package dev.peft4j.core.adapter;

import java.util.List;

/**
 * A {@link BaseParameterSelector} that trains only some rows of the 2-D parameters it selects: the token rows of an
 * embedding table (peft's {@code trainable_tokens}, Textual Inversion). The model reads the whole parameter, so the
 * whole parameter gets gradients and the method's training hook puts the other rows back after every step.
 * {@link PeftModel#adapterParameterCount()} counts only the rows, and adapter files hold only them: one
 * {@code [rows, columns]} tensor per parameter under {@code base_model.model.<module path>.<rowsTensorName()>},
 * written over those rows of the original values on load.
 */
public interface RowSelector extends BaseParameterSelector {

    /** The rows that train, distinct and in range (checked when the adapter attaches), in the order they are saved. */
    List<Integer> rows();

    /** The name of the saved rows after the module path, e.g. {@code trainable_tokens_delta}. */
    String rowsTensorName();
}
