package dev.peft4j.apps.text;

import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.core.method.probe.LinearProbeMethod;
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
 * @param probeSolver how the linear probe's head is fitted: by the trainer (like every method), or as a converged
 *     logistic regression ({@link LogisticProbe}); only the linear probe takes {@code LOGISTIC}
 */
public record FineTuneRequest(PretrainedModel model, TaskSource data, MethodSpec method, TrainerConfig trainer,
        int maxLength, SequenceClassifier.Pooling pooling, int maxTrainExamples, Path adapterDir, SaveMode saveMode,
        ProbeSolver probeSolver) {

    public FineTuneRequest {
        probeSolver = probeSolver == null ? ProbeSolver.TRAINER : probeSolver;
        if (probeSolver == ProbeSolver.LOGISTIC && !method.method().equals(LinearProbeMethod.ID)) {
            throw new IllegalArgumentException("--probe-solver logistic fits the head of the linear probe only "
                    + "(--method " + LinearProbeMethod.ID + "), found --method " + method.method()
                    + "; drop --probe-solver or use --method " + LinearProbeMethod.ID);
        }
    }

    /** A run whose head is fitted by the trainer. */
    public FineTuneRequest(PretrainedModel model, TaskSource data, MethodSpec method, TrainerConfig trainer,
            int maxLength, SequenceClassifier.Pooling pooling, int maxTrainExamples, Path adapterDir,
            SaveMode saveMode) {
        this(model, data, method, trainer, maxLength, pooling, maxTrainExamples, adapterDir, saveMode,
                ProbeSolver.TRAINER);
    }

    /** How the linear probe's head is fitted. */
    public enum ProbeSolver {
        /** AdamW epochs, as every other method trains. */
        TRAINER,
        /** An L2-regularised logistic regression solved to convergence, C chosen on validation. */
        LOGISTIC;

        /** {@code trainer} or {@code logistic}, as the CLI spells them. */
        public static ProbeSolver parse(String name) {
            for (ProbeSolver solver : values()) {
                if (solver.name().equalsIgnoreCase(name)) {
                    return solver;
                }
            }
            throw new IllegalArgumentException("Unknown probe solver '" + name + "'; expected trainer or logistic");
        }
    }
}
