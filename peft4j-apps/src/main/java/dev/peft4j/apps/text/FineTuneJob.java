package dev.peft4j.apps.text;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.OutputLocation;
import dev.peft4j.train.loop.RunFolder;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.text.TextClassifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Runs a {@link FineTuneRequest} end to end: fetch model and data, wrap the classifier with the
 * method, train with best-epoch selection, report test metrics, save the adapter.
 */
public final class FineTuneJob {

    private FineTuneJob() {
    }

    /** What a run produced, with the figures the README's table reports. */
    public record Report(FineTuneRequest request, TrainResult result, String trainableReport, double totalSeconds,
            int trainExamples) {
    }

    public static Report run(FineTuneRequest request, ArtifactCache cache) throws IOException {
        // an unknown --metric fails here, before minutes of loading data and model
        Evaluators.find(request.trainer().selectionMetric(), ClassificationObjective.standardEvaluators());
        if (request.adapterDir() != null) {
            OutputLocation.requireWritableDirectory(request.adapterDir(), "the adapter folder");
        }
        long start = System.nanoTime();
        long seed = request.trainer().seed();
        // the run folder is claimed before data and model load, so a busy or unusable one fails in a second
        try (RunFolder runFolder = claimRunFolder(request.trainer())) {
            return train(request, cache, start, seed);
        }
    }

    /** Claims the trainer's output folder for the whole job (the trainer joins the claim); null without one. */
    static RunFolder claimRunFolder(TrainerConfig trainer) {
        return trainer.outputDir() == null ? null : RunFolder.claim(trainer.outputDir(), trainer.runFolderMode());
    }

    private static Report train(FineTuneRequest request, ArtifactCache cache, long start, long seed)
            throws IOException {
        Split split = request.data().load(cache, seed);
        List<TextExample> train = limit(split.train().examples(), request.maxTrainExamples(), seed);
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = PretrainedEncoders.encoder(request.model(), cache, manager);
                BertTokenizer tokenizer = PretrainedEncoders.tokenizer(request.model(), cache, request.maxLength())) {
            SequenceClassifier classifier = request.pooling() == SequenceClassifier.Pooling.CLS
                    ? SequenceClassifier.cls(encoder, split.train().numLabels(), seed)
                    : SequenceClassifier.meanPooled(encoder, split.train().numLabels(), seed);
            PeftModel peft = Peft.wrap(classifier, request.method().toConfig(List.of("classifier")));
            String trainable = peft.trainableParametersReport();
            System.err.println(trainable);
            TextClassifier textClassifier = new TextClassifier(tokenizer, classifier, peft);
            TrainResult result = request.probeSolver() == FineTuneRequest.ProbeSolver.LOGISTIC
                    ? LogisticProbe.fit(classifier, peft, tokenizer, train, split.validation().examples(),
                            split.test().examples(), request.trainer())
                    : new Trainer<>(new ClassificationObjective<>(textClassifier), request.trainer())
                            .fit(train, split.validation().examples(), split.test().examples());
            if (request.adapterDir() != null && !result.stopped()) {
                AdapterOutput.save(peft, request.adapterDir(), request.saveMode());
                new TrainingArgs(request.model().id(), request.data().label(), request.maxLength(),
                        request.pooling().name(), split.train().labelNames()).save(request.adapterDir());
            }
            classifier.close();
            return new Report(request, result, trainable, (System.nanoTime() - start) / 1e9, train.size());
        }
    }

    /** A seeded random subset of at most {@code max} examples (all when max is 0). */
    public static List<TextExample> limit(List<TextExample> examples, int max, long seed) {
        if (max <= 0 || max >= examples.size()) {
            return examples;
        }
        List<TextExample> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, new Random(seed));
        return shuffled.subList(0, max);
    }
}
