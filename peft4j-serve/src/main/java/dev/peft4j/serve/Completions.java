package dev.peft4j.serve;

import dev.peft4j.models.generate.FinishReason;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The batch function of {@code /v1/completions}: the prompts of many requests, of many tenants' adapters and with
 * their own settings, generated together ({@link ServedDecoder#generate}: one forward per step over all rows), each
 * row's text handed to its own request's sink as it becomes final.
 */
public final class Completions {

    private static final Logger LOG = Logger.getLogger(Completions.class.getName());

    /**
     * One prompt of a request: its adapter's key ({@code tenant/name}, or {@code AdapterSelection.BASE}), its ids,
     * its index within its request (which also seeds its draws, so a row samples what it samples alone), its
     * config, and where its text goes as it is generated ({@link TokenStream#NONE} when not streamed; the sink sees
     * the row's index within its request).
     */
    public record Row(String adapter, int[] prompt, int index, Generator.RowConfig config, TokenStream sink) {
    }

    private final ServedDecoder model;
    private final UnaryOperator<String> resolve;

    /** @param resolve an adapter key to the name it is loaded under now (null: gone), applied at generation time */
    public Completions(ServedDecoder model, UnaryOperator<String> resolve) {
        this.model = model;
        this.resolve = resolve;
    }

    /** Generates every row in one batch; a row whose adapter is gone gets null. */
    public List<Generator.Result> complete(List<Row> rows) {
        List<ServedDecoder.Row> decoderRows = rows.stream()
                .map(r -> new ServedDecoder.Row(r.adapter(), r.prompt(), r.config())).toList();
        return model.generate(decoderRows, resolve, new TokenStream() {
            @Override
            public void onText(int row, String newText) {
                Row r = rows.get(row);
                guarded(r, () -> r.sink().onText(r.index(), newText));
            }

            @Override
            public void onFinish(int row, FinishReason reason) {
                Row r = rows.get(row);
                guarded(r, () -> r.sink().onFinish(r.index(), reason));
            }
        });
    }

    /** A sink that fails must not end the other requests' rows of the batch: it is logged and generation goes on. */
    private static void guarded(Row row, Runnable delivery) {
        try {
            delivery.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "A completion's stream failed (row " + row.index() + " of " + row.adapter()
                    + "); the batch goes on", e);
        }
    }
}
