package dev.peft4j.apps.text;

import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;

/**
 * One fine-tuning run of a pretrained encoder on a text task.
 *
 * @param model the pretrained encoder
 * @param data the task: a built-in name or a user file
 * @param method the adapter method and its knobs
 * @param trainer optimiser, schedule, epochs, checkpoints
 * @param maxLength tokens per text (longer texts are truncated)
 * @param pooling MEAN (sentence-transformers' pooling, MiniLM's training objective) or CLS
 * @param maxTrainExamples use at most this many training examples (stratified prefix of the shuffled
 *     split), 0 for all: keeps the default run within minutes on 2 cores
 * @param adapterDir where to save the trained adapter (null: don't save)
 * @param saveMode compact or portable adapter files
 */
public record FineTuneRequest(PretrainedModel model, TaskSource data, MethodSpec method, TrainerConfig trainer,
        int maxLength, SequenceClassifier.Pooling pooling, int maxTrainExamples, Path adapterDir, SaveMode saveMode) {
}
