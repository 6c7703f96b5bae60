package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.diffusion.ConceptMethod;
import dev.peft4j.apps.instruct.InstructionSource;
import dev.peft4j.apps.instruct.InstructionTuningJob;
import dev.peft4j.apps.text.FineTuneRequest;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.apps.vision.VisionAdaptation;
import dev.peft4j.core.method.probe.LinearProbeMethod;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.train.instruct.PromptStyle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An experiment grid: methods x tasks x seeds on one model, with shared training defaults that
 * each method row may override. Read from JSON (see the presets in {@code experiments/}).
 *
 * @param name a short name for the report
 * @param model pretrained encoder id; for the image tasks a ViT shipped in the jar ({@code vit-fashion-mnist},
 *     {@code vit-fashion-mnist-0to4}) or {@code vit:DIR} (a directory written by {@code peft4j pretrain vit}); for
 *     personalisation a DiT: {@code dit:DIR} or a directory written by {@code peft4j pretrain dit}
 * @param tasks built-in task names: text tasks for an encoder, {@link #VISION_TASKS} for a ViT, concepts
 *     ({@link #DIFFUSION_TASKS}: Fashion-MNIST classes the DiT held out) for a DiT
 * @param metrics the reported (and best-epoch) metric per task: accuracy, f1, mcc or loss (lower is better); default
 *     accuracy
 * @param seeds at least 3 for medians
 * @param defaults training knobs shared by all rows
 * @param methods the rows of the table
 * @param selectionSeed the seed whose validation scores choose each grid row's learning rates (default: the first
 *     of {@code seeds}); its run at the chosen rates is that seed's cell, not run twice
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ExperimentConfig(String name, String model, List<String> tasks, Map<String, String> metrics,
        List<Long> seeds, Defaults defaults, List<MethodRow> methods,
        @JsonProperty("selection_seed") Long selectionSeed) {

    public ExperimentConfig {
        require(name != null && !name.isBlank(), "name is missing");
        require(model != null, "model is missing (e.g. \"all-minilm-l6-v2\")");
        require(tasks != null && !tasks.isEmpty(), "tasks is empty (e.g. [\"spam\", \"reuters-grain\"])");
        require(seeds != null && !seeds.isEmpty(), "seeds is empty (use at least 3 for medians, e.g. [1, 2, 3])");
        require(methods != null && !methods.isEmpty(), "methods is empty");
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        defaults = defaults == null
                ? new Defaults(0, 2, 64, 16, 3e-3f, 2e-3f, null, null, null, null, null, null, null) : defaults;
        if (isDiffusion(model)) {
            require(defaults.precision() == null, "defaults.precision is for classification, image and decoder grids; "
                    + "personalisation runs its DiT in fp32: remove it");
            for (String task : tasks) {
                require(DIFFUSION_TASKS.contains(task), "task '" + task + "' is not a concept, but model " + model
                        + " is a DiT; concepts (Fashion-MNIST classes the DiT held out): " + DIFFUSION_TASKS);
            }
        } else if (isDecoder(model)) {
            for (String task : tasks) {
                require(DECODER_TASKS.contains(task), "task '" + task + "' is not an instruction task, but model "
                        + model + " is a decoder; instruction tasks: " + DECODER_TASKS);
            }
        } else if (isVision(model)) {
            for (String task : tasks) {
                require(VISION_TASKS.contains(task), "task '" + task + "' is not an image task, but model " + model
                        + " is a ViT; image tasks: " + VISION_TASKS);
            }
        }
    }

    /** The image tasks a ViT experiment may run ({@link VisionAdaptation.Task#id()}). */
    public static final List<String> VISION_TASKS = java.util.Arrays.stream(VisionAdaptation.Task.values())
            .map(VisionAdaptation.Task::id).toList();

    /** The instruction tasks a decoder experiment may run. */
    public static final List<String> DECODER_TASKS = List.of(InstructionSource.WORDNET);

    /** The concepts a DiT personalisation grid may learn (Fashion-MNIST classes by name, e.g. {@code ankle-boot}). */
    public static final List<String> DIFFUSION_TASKS = dev.peft4j.apps.diffusion.ConceptTasks.IDS;

    /**
     * The id the shipped pretrained DiT will have; until it ships in the jar, a grid names a directory instead
     * ({@code --model DIR} on {@code peft4j experiment}).
     */
    public static final String SHIPPED_DIT = PretrainedDit.Checkpoint.FASHION_MNIST.id();

    /** Whether the grid personalises a DiT ({@code dit:DIR}, a DiT directory or the shipped id). */
    public boolean isDiffusion() {
        return isDiffusion(model);
    }

    private static boolean isDiffusion(String model) {
        return model.startsWith("dit:") || SHIPPED_DIT.equals(model) || dev.peft4j.apps.diffusion.DitBase.isDit(model);
    }

    /**
     * The DiT directory of a personalisation grid: the shipped model's copy in the artifact cache, or the directory.
     *
     * @throws java.io.UncheckedIOException if the shipped model cannot be copied out of the jar
     */
    public Path ditBase() {
        String dir = model.startsWith("dit:") ? model.substring("dit:".length()) : model;
        try {
            return PretrainedDit.resolve(dir, ArtifactCache.defaultCache().root());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** This grid on another model (a preset's on a DiT directory, for example); the tasks are checked again. */
    public ExperimentConfig withModel(String newModel) {
        return new ExperimentConfig(name, newModel, tasks, metrics, seeds, defaults, methods, selectionSeed);
    }

    /** Whether the grid instruction-tunes a decoder (the shipped Llama or a Llama directory). */
    public boolean isDecoder() {
        return isDecoder(model);
    }

    private static boolean isDecoder(String model) {
        return PretrainedLlama.isLlama(model);
    }

    /** Whether the grid adapts a ViT to image tasks rather than an encoder to text tasks. */
    public boolean isVision() {
        return isVision(model);
    }

    private static boolean isVision(String model) {
        return PretrainedVit.Checkpoint.byId(model) != null || model.startsWith("vit:");
    }

    /** The ViT base for {@code VisionAdaptation}: a shipped checkpoint id, or the directory of a {@code vit:DIR}. */
    public String vitBase() {
        return model.startsWith("vit:") ? model.substring("vit:".length()) : model;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("Experiment config: " + message);
        }
    }

    /** The seed that chooses learning rates: {@code selection_seed}, or the first of {@code seeds}. */
    public long selectionSeedOrFirst() {
        return selectionSeed == null ? seeds.get(0) : selectionSeed;
    }

    /**
     * The task's metric: as configured, else a decoder's validation response perplexity, a DiT's subject fidelity,
     * else accuracy.
     */
    public String metricFor(String task) {
        return metrics.getOrDefault(task, isDecoder() ? InstructionTuningJob.SELECTION_METRIC
                : isDiffusion() ? dev.peft4j.apps.diffusion.PersonalisationScores.SUBJECT_FIDELITY : "accuracy");
    }

    /** Whether a smaller value of {@code metric} is better (losses and perplexities). */
    public static boolean lowerIsBetter(String metric) {
        return metric.equals("loss") || metric.equals("perplexity");
    }

    /**
     * Training knobs shared by every row; {@code max_length} applies to text, {@code validation} (training images
     * held out to pick the best epoch, default {@value #DEFAULT_VALIDATION}) to images; {@code eval_every}: optimiser
     * steps between the validation passes of a row with {@code "curve": true} (its convergence curve);
     * {@code personalisation}: a DiT grid's steps, shots and sampling.
     */
    public record Defaults(@JsonProperty("max_train") int maxTrain, int epochs, @JsonProperty("max_length") int maxLength,
            @JsonProperty("batch_size") int batchSize, float lr, @JsonProperty("head_lr") float headLr,
            Integer validation, @JsonProperty("eval_every") Integer evalEvery,
            @JsonProperty("max_eval") Integer maxEval, @JsonProperty("max_new_tokens") Integer maxNewTokens,
            @JsonProperty("prompt_style") String promptStyle, Personalisation personalisation, String precision) {

        public static final int DEFAULT_VALIDATION = 2000;
        public static final int DEFAULT_MAX_EVAL = 100;
        public static final int DEFAULT_MAX_NEW_TOKENS = 32;

        public Defaults {
            if (evalEvery != null && evalEvery < 1) {
                throw new IllegalArgumentException("Experiment config: eval_every must be at least 1 step, found "
                        + evalEvery);
            }
            if (precision != null) {
                dev.peft4j.core.precision.Precision.parse(precision); // refuses all but fp32, bf16 and auto
            }
        }

        /**
         * The base's arithmetic every cell runs at ({@code --precision} of {@code train}); null: each machine's
         * {@code auto}. A table built over sessions on different machines names one, so its cells stay comparable.
         */
        public String precision() {
            return precision;
        }

        public int validationOrDefault() {
            return validation == null ? DEFAULT_VALIDATION : validation;
        }

        /** Decoder grids: validation and test instructions per kind (0: all), default {@value #DEFAULT_MAX_EVAL}. */
        public int maxEvalOrDefault() {
            return maxEval == null ? DEFAULT_MAX_EVAL : maxEval;
        }

        /** Decoder grids: the longest generated response, default {@value #DEFAULT_MAX_NEW_TOKENS} tokens. */
        public int maxNewTokensOrDefault() {
            return maxNewTokens == null ? DEFAULT_MAX_NEW_TOKENS : maxNewTokens;
        }

        /** DiT grids: steps, shots and sampling ({@link Personalisation#DEFAULTS} where the config has none). */
        public Personalisation personalisationOrDefault() {
            return personalisation == null ? Personalisation.DEFAULTS : personalisation;
        }

        /** Decoder grids: the prompt template ({@code alpaca} or {@code alpaca-short}, the default). */
        public PromptStyle promptStyleOrDefault() {
            return promptStyle == null ? PromptStyle.ALPACA_SHORT : PromptStyle.parse(promptStyle);
        }
    }

    /**
     * A DiT grid's knobs shared by every row (the paper's Table VI setting at this machine's scale); a missing field
     * takes the {@code peft4j personalise} default.
     *
     * @param steps optimiser steps per run (the paper: 1000)
     * @param shots real training images of the concept to learn from
     * @param validationImages further training images of the concept, judged to choose learning rates
     * @param maxTest at most this many of the concept's test images, 0 for all
     * @param samples generated concept images judged
     * @param priorSamples generated images per trained class for prior preservation (0: not measured)
     * @param sampleSteps DDIM steps of every judged sample
     * @param guidance classifier-free guidance of every judged sample
     * @param sampleSeed seed of the judged samples, the same for every row, seed and the base
     */
    public record Personalisation(Integer steps, Integer shots, @JsonProperty("validation_images") Integer validationImages,
            @JsonProperty("max_test") Integer maxTest, Integer samples, @JsonProperty("prior_samples") Integer priorSamples,
            @JsonProperty("sample_steps") Integer sampleSteps, Float guidance, @JsonProperty("sample_seed") Long sampleSeed) {

        /** {@code peft4j personalise}'s defaults. */
        public static final Personalisation DEFAULTS = new Personalisation(1000, 5, 200, 0, 64, 32, 50, 4f, 42L);

        public Personalisation {
            steps = steps == null ? 1000 : steps;
            shots = shots == null ? 5 : shots;
            validationImages = validationImages == null ? 200 : validationImages;
            maxTest = maxTest == null ? 0 : maxTest;
            samples = samples == null ? 64 : samples;
            priorSamples = priorSamples == null ? 32 : priorSamples;
            sampleSteps = sampleSteps == null ? 50 : sampleSteps;
            guidance = guidance == null ? 4f : guidance;
            sampleSeed = sampleSeed == null ? 42L : sampleSeed;
            if (steps < 1 || shots < 1 || validationImages < 1 || maxTest < 0 || samples < 2 || priorSamples < 0
                    || sampleSteps < 1) {
                throw new IllegalArgumentException("Experiment config: personalisation needs steps, shots, "
                        + "validation_images and sample_steps >= 1, samples >= 2, max_test and prior_samples >= 0; "
                        + "found " + this);
            }
        }
    }

    /**
     * One row: a method with its knobs; {@code group} tags ablation rows (init, sigma, rank, lr) so
     * they get their own plot. Null fields fall back to the defaults or the method's own defaults. {@code lr_grid}
     * and {@code head_lr_grid} make the runner choose the row's learning rates per task on validation
     * ({@link ExperimentRunner}); {@code lr} / {@code head_lr} are then ignored for the grid's side. {@code curve}:
     * validate every {@code eval_every} steps too, for the convergence plot; {@code solver}: {@code logistic} fits a
     * linear probe as a converged logistic regression (text only), {@code trainer} (the default) trains it;
     * {@code prior_images}: a DiT grid's DreamBooth prior preservation, images of the trained classes generated by the
     * base and mixed into every batch half and half with the shots (0 or absent: none).
     */
    public record MethodRow(String label, String group, String method, Integer rank, Float alpha, String init,
            List<String> targets, @JsonProperty("train_sigma") Boolean trainSigma, Float lr,
            @JsonProperty("head_lr") Float headLr, Map<String, Object> extra,
            @JsonProperty("lr_grid") List<Float> lrGrid, @JsonProperty("head_lr_grid") List<Float> headLrGrid,
            Boolean curve, String solver, @JsonProperty("prior_images") Integer priorImages) {

        public MethodRow {
            if (label == null || method == null) {
                throw new IllegalArgumentException("Experiment config: every method row needs a label and a method, "
                        + "found label=" + label + ", method=" + method);
            }
            if (solver != null) {
                FineTuneRequest.ProbeSolver parsed = FineTuneRequest.ProbeSolver.parse(solver);
                if (parsed == FineTuneRequest.ProbeSolver.LOGISTIC && !method.equals(LinearProbeMethod.ID)) {
                    throw new IllegalArgumentException("Experiment config: row '" + label + "' has solver logistic,"
                            + " which fits the linear probe only (method " + LinearProbeMethod.ID + "), not " + method);
                }
            }
            if (priorImages != null && priorImages < 0) {
                throw new IllegalArgumentException("Experiment config: row '" + label + "' has prior_images "
                        + priorImages + "; use 0 or more (DreamBooth: some hundreds)");
            }
            lrGrid = checkedGrid(label, "lr_grid", lrGrid, false);
            headLrGrid = checkedGrid(label, "head_lr_grid", headLrGrid, true);
        }

        private static List<Float> checkedGrid(String label, String field, List<Float> grid, boolean zeroAllowed) {
            if (grid == null) {
                return List.of();
            }
            for (Float value : grid) {
                if (value == null || !(zeroAllowed ? value >= 0f : value > 0f) || value.isInfinite()) {
                    throw new IllegalArgumentException("Experiment config: row '" + label + "' has " + field + " "
                            + grid + "; every value must be " + (zeroAllowed ? "0 or more" : "above 0")
                            + ", e.g. [1e-4, 3e-4, 1e-3, 3e-3]");
                }
            }
            if (new java.util.HashSet<>(grid).size() != grid.size()) {
                throw new IllegalArgumentException("Experiment config: row '" + label + "' repeats a value in "
                        + field + " " + grid);
            }
            return List.copyOf(grid);
        }

        /** Whether the runner chooses this row's learning rates on validation. */
        public boolean hasGrid() {
            return !lrGrid.isEmpty() || !headLrGrid.isEmpty();
        }

        /** The adapter learning rates the grid tries: {@code lr_grid}, or the row's one rate. */
        public List<Float> lrCandidates(Defaults defaults) {
            return lrGrid.isEmpty() ? List.of(lrOr(defaults)) : lrGrid;
        }

        /** The head learning rates the grid tries: {@code head_lr_grid}, or the row's one rate. */
        public List<Float> headLrCandidates(Defaults defaults) {
            return headLrGrid.isEmpty() ? List.of(headLrOr(defaults)) : headLrGrid;
        }

        /** This row with fixed learning rates and no grid, under {@code newLabel}. */
        public MethodRow withLearningRates(String newLabel, float newLr, float newHeadLr) {
            return new MethodRow(newLabel, group, method, rank, alpha, init, targets, trainSigma, newLr, newHeadLr,
                    extra, null, null, curve, solver, priorImages);
        }

        /** A DiT grid's prior images: {@code prior_images}, or 0. */
        public int priorImagesOrZero() {
            return priorImages == null ? 0 : priorImages;
        }

        /** Whether the row records a convergence curve. */
        public boolean hasCurve() {
            return Boolean.TRUE.equals(curve);
        }

        /** How a linear probe's head is fitted ({@code trainer} unless the row says {@code logistic}). */
        public FineTuneRequest.ProbeSolver probeSolver() {
            return solver == null ? FineTuneRequest.ProbeSolver.TRAINER : FineTuneRequest.ProbeSolver.parse(solver);
        }

        /** Validation passes every this many steps: {@code eval_every} for a curve row, else 0 (epoch ends only). */
        public int evalEvery(Defaults defaults) {
            return hasCurve() && defaults.evalEvery() != null ? defaults.evalEvery() : 0;
        }

        public String groupOrMain() {
            return group == null ? "main" : group;
        }

        /**
         * The method and its knobs; rank 64 and targets all-linear where the row leaves them out (the CLI's
         * defaults, so that both executors train the same thing).
         */
        /** The method id of a decoder grid's row without fine-tuning (the base model, scored the same way). */
        public static final String NO_FINE_TUNING = "none";

        /** Whether this is the row without fine-tuning ({@value #NO_FINE_TUNING}). */
        public boolean baseOnly() {
            return NO_FINE_TUNING.equals(method);
        }

        /** The row's method and knobs; null for the row without fine-tuning. */
        public MethodSpec methodSpec() {
            if (baseOnly()) {
                return null;
            }
            return new MethodSpec(method, rank == null ? 64 : rank, alpha, init,
                    targets == null ? List.of("all-linear") : targets, Boolean.TRUE.equals(trainSigma),
                    extra == null ? Map.of() : extra);
        }

        /**
         * Whether this row trains exactly what {@code other} trains under {@code defaults} (equal method configs
         * once the method's own defaults are filled in, equal learning rates; label and group aside), so that one
         * run serves both: an ablation's reference row is usually a main row under another name.
         */
        public boolean sameRunAs(MethodRow other, Defaults defaults) {
            if (baseOnly() || other.baseOnly()) {
                return baseOnly() && other.baseOnly();
            }
            if (hasGrid() || other.hasGrid()) {
                return false; // a grid row's rates are chosen per task: no fixed row stands in for it
            }
            return comparableConfig(methodSpec()).equals(comparableConfig(other.methodSpec()))
                    && probeSolver() == other.probeSolver() && evalEvery(defaults) == other.evalEvery(defaults)
                    && priorImagesOrZero() == other.priorImagesOrZero()
                    && lrOr(defaults) == other.lrOr(defaults)
                    && headLrOr(defaults) == other.headLrOr(defaults);
        }

        /**
         * The config a row's spec builds, for comparing rows: a personalisation row's spare-row placeholder stands
         * for the same row in every row of one task, so row 0 serves for both sides.
         */
        private static dev.peft4j.core.adapter.AdapterConfig comparableConfig(MethodSpec spec) {
            boolean placeholder = spec.extra() != null && spec.extra().containsValue(ConceptMethod.SPARE_ROW);
            return placeholder ? new ConceptMethod(spec).toConfig(0) : spec.toConfig(List.of("classifier"));
        }

        public float lrOr(Defaults defaults) {
            return lr == null ? defaults.lr() : lr;
        }

        public float headLrOr(Defaults defaults) {
            return headLr == null ? defaults.headLr() : headLr;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static ExperimentConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Experiment config " + file + " does not exist; pass a JSON file or --preset");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    public static ExperimentConfig read(InputStream in, String source) throws IOException {
        try {
            com.fasterxml.jackson.databind.JsonNode tree = JSON.readTree(in);
            List<String> known = java.util.Arrays.stream(ExperimentConfig.class.getRecordComponents())
                    .map(ExperimentConfig::jsonName).toList();
            for (java.util.Iterator<String> names = tree.fieldNames(); names.hasNext();) {
                String field = names.next();
                if (!known.contains(field)) {
                    throw new IOException("Experiment config " + source + ": unknown field '" + field
                            + "'; known fields: " + known);
                }
            }
            return JSON.treeToValue(tree, ExperimentConfig.class);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            throw new IOException("Experiment config " + source + " is not valid: " + e.getOriginalMessage(), e);
        }
    }

    /** A component's name in the JSON: its {@code @JsonProperty} where it has one (snake case), else its own. */
    private static String jsonName(java.lang.reflect.RecordComponent component) {
        JsonProperty property = component.getAccessor().getAnnotation(JsonProperty.class);
        return property == null || property.value().isEmpty() ? component.getName() : property.value();
    }

    /** A preset shipped in the jar, e.g. {@code minilm-table1}. */
    public static ExperimentConfig preset(String name) throws IOException {
        InputStream in = ExperimentConfig.class.getResourceAsStream("/experiments/" + name + ".json");
        if (in == null) {
            throw new IOException("Unknown preset '" + name + "'; available: " + PRESETS);
        }
        try (in) {
            return read(in, "preset " + name);
        }
    }

    public static final List<String> PRESETS = List.of("minilm-table1", "minilm-ablations", "minilm-table1-budget",
            "minilm-ablations-budget", "bge-table1-budget", "vit-mnist", "vit-fashion-heldout", "decoder-instruct", "smoke", "vit-smoke",
            "decoder-smoke", "dit-personalise", "dit-personalise-smoke");
}
