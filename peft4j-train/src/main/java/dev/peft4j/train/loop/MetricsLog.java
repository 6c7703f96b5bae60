package dev.peft4j.train.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Appends one JSON object per line to {@code metrics.jsonl}: {@code step} (step, epoch, loss, lr, seconds since this
 * process began training), {@code eval}
 * (epoch, train_loss, validation), {@code step_eval} (step, epoch, validation), {@code diverged} (epoch) and the final {@code result} (best_epoch, test,
 * wall_seconds).
 */
final class MetricsLog implements TrainingListener {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private long start = System.nanoTime();

    MetricsLog(Path dir) {
        this.file = dir.resolve("metrics.jsonl");
    }

    @Override
    public void onTrainBegin(TrainBegin event) {
        start = System.nanoTime();
    }

    @Override
    public void onStep(StepEnd event) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("step", event.globalStep());
        fields.put("epoch", event.epoch());
        fields.put("loss", event.meanLoss());
        fields.put("lr", event.learningRate());
        fields.put("seconds", (System.nanoTime() - start) / 1e9);
        write("step", fields);
    }

    @Override
    public void onEvaluation(TrainResult.CurvePoint point) {
        write("step_eval", Trainer.curveRecord(point.step(), point.epoch(), point.validation()));
    }

    @Override
    public void onEpochEnd(EpochEnd event) {
        write("eval", Trainer.historyRecord(event.epoch(), event.trainLoss(), event.validation()));
        if (event.diverged()) {
            write("diverged", Map.of("epoch", event.epoch()));
        }
    }

    @Override
    public void onTrainEnd(TrainResult result) {
        if (result.stopped()) {
            return; // a stopped run has no result yet: the resumed one writes it
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("best_epoch", result.bestEpoch());
        summary.put("test", result.test().toMap());
        summary.put("wall_seconds", result.wallSeconds());
        write("result", summary);
    }

    private void write(String event, Map<String, Object> fields) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("event", event);
        record.putAll(fields);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
