package dev.peft4j.spark;

import dev.peft4j.apps.text.MethodSpec;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A data-parallel fine-tuning job: what every executor needs to rebuild the same model and take the same steps.
 * Serializable (it travels to the executors with the task), so it holds strings and numbers, not paths or tensors.
 *
 * @param model a pretrained encoder id ({@code all-minilm-l6-v2}, ...), loaded by each executor from its cache
 * @param maxLength tokens per text
 * @param pooling {@code MEAN} or {@code CLS}
 * @param method the adapter method and its knobs, as {@code peft4j train} takes them
 * @param workers tasks of the barrier stage, each one shard of the data; every one must be able to run at once
 * @param batchPerWorker examples per worker per optimiser step: the global batch is {@code workers * batchPerWorker}
 * @param checkpointDir a folder every executor can reach (a shared file system): worker 0 writes checkpoints there,
 *     and a retried stage resumes from the latest
 * @param checkpointEvery optimiser steps between checkpoints (0: epoch ends only)
 * @param adapterDir where worker 0 saves the trained adapter (peft's layout)
 * @param maxSyncFloats the largest trainable state the job averages each step (it travels through the driver)
 */
public record SparkTrainConfig(String model, int maxLength, String pooling, MethodSpecData method, int epochs,
        float learningRate, float headLearningRate, float weightDecay, float warmupRatio, int workers,
        int batchPerWorker, long seed, String selectionMetric, String checkpointDir, int checkpointEvery,
        String adapterDir, long maxSyncFloats, FaultInjection faults) implements Serializable {

    /** 16M floats (64 MiB) a step: LoLDU, LoRA, VeRA, ... fit easily; full fine-tuning of a 22M model does not. */
    public static final long DEFAULT_MAX_SYNC_FLOATS = 16L << 20;

    public SparkTrainConfig {
        require(workers >= 1, "workers must be at least 1, found " + workers);
        require(batchPerWorker >= 1, "the batch per worker must be at least 1, found " + batchPerWorker);
        require(epochs >= 1, "epochs must be at least 1, found " + epochs);
        require(checkpointEvery >= 0, "checkpoint-every must be >= 0, found " + checkpointEvery);
        require(checkpointDir != null && !checkpointDir.isBlank(), "a checkpoint folder every executor can reach is "
                + "needed (a retried stage resumes from it)");
        require(adapterDir != null && !adapterDir.isBlank(), "an adapter folder is needed");
        faults = faults == null ? FaultInjection.NONE : faults;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("spark-train: " + message);
        }
    }

    /** {@link MethodSpec} in serializable parts. */
    public record MethodSpecData(String method, int rank, Float alpha, String init, List<String> targets,
            boolean trainSigma, Map<String, String> extra) implements Serializable {

        public static MethodSpecData of(MethodSpec spec) {
            Map<String, String> extra = new LinkedHashMap<>();
            spec.extra().forEach((k, v) -> extra.put(k, String.valueOf(v)));
            return new MethodSpecData(spec.method(), spec.rank(), spec.alpha(), spec.init(), List.copyOf(spec.targets()),
                    spec.trainSigma(), extra);
        }

        public MethodSpec toSpec() {
            return new MethodSpec(method, rank, alpha, init, targets, trainSigma, new LinkedHashMap<>(extra));
        }
    }

    /**
     * Test hooks, off in real jobs: {@code failWorker} throws before optimiser step {@code failStep} in the stage's
     * first attempt (a task lost mid-training); {@code perturbWorker} changes one base weight on that worker (an
     * executor with other model bytes). -1 disables each.
     */
    public record FaultInjection(int failWorker, int failStep, int perturbWorker) implements Serializable {
        public static final FaultInjection NONE = new FaultInjection(-1, -1, -1);
    }
}
