package dev.peft4j.apps.diffusion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** What a personalisation run writes beside its adapter: the record of {@value DitPersonalisation#RESULT_FILE}. */
final class PersonalisationFiles {

    private PersonalisationFiles() {
    }

    /** The size of every file under {@code dir} (the adapter's config, tensors and manifest), 0 when absent. */
    static long bytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            long total = 0;
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                total += Files.size(file);
            }
            return total;
        }
    }

    /** The run's settings and figures, for {@value DitPersonalisation#RESULT_FILE}. */
    static Map<String, Object> json(DitPersonalisation.Report report, DitBase base) {
        DitPersonalisation.Request r = report.request();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("base", r.base().toString());
        json.put("base_sha256", base.modelSha256());
        json.put("concept", r.concept());
        json.put("concept_name", base.classTable().get(report.spareLabel()));
        json.put("spare_label", report.spareLabel());
        json.put("method", r.method().id());
        json.put("method_spec", r.method().spec());
        json.put("shots", r.data().shots());
        json.put("validation_images", r.data().validation());
        json.put("test_images_max", r.data().maxTest());
        json.put("steps", r.steps());
        json.put("learning_rate", r.trainer().learningRate());
        json.put("batch_size", r.trainer().batchSize());
        json.put("warmup_ratio", r.trainer().warmupRatio());
        json.put("seed", r.trainer().seed());
        json.put("label_dropout", DitPersonalisation.LABEL_DROPOUT);
        json.put("prior_images", r.priorImages());
        json.put("prior_loss_weight", r.priorImages() > 0 ? 1 : 0);
        PersonalisationMetrics.Evaluation e = r.evaluation();
        json.put("evaluation", Map.of("judge", "vit-fashion-mnist", "concept_samples", e.samples(),
                "prior_samples_per_class", e.priorPerClass(), "ddim_steps", e.sampling().steps(), "guidance",
                e.sampling().guidance(), "seed", e.seed()));
        json.put("subject_fidelity", report.concept().subjectFidelity());
        json.put("validation_fidelity", report.concept().validationFidelity());
        json.put("recognition", report.concept().recognition());
        json.put("shots_fidelity", report.shotsFidelity());
        if (report.prior() != null) {
            json.put("prior_preservation", report.prior().mean());
            json.put("prior_preservation_per_class", report.prior().perClass());
            json.put("base_prior_preservation", report.basePrior().mean());
            json.put("base_prior_preservation_per_class", report.basePrior().perClass());
        }
        json.put("trainable_parameters", report.trainableParameters());
        json.put("adapter_bytes", report.adapterBytes());
        if (report.result() != null) {
            json.put("initial_validation_noise_mse", report.initialValidationLoss());
            json.put("validation_noise_mse", report.result().bestValidation().loss());
            json.put("test_noise_mse", report.result().test().loss());
            json.put("train_loss", report.result().history().get(report.result().history().size() - 1).trainLoss());
        }
        json.put("training_seconds", report.trainingSeconds());
        json.put("wall_seconds", report.totalSeconds());
        json.put("files", Map.of("adapter", report.result() == null ? "" : DitPersonalisation.ADAPTER_DIR,
                "concept_grid", DitPersonalisation.CONCEPT_GRID, "shots_grid", DitPersonalisation.SHOTS_GRID));
        return json;
    }
}
