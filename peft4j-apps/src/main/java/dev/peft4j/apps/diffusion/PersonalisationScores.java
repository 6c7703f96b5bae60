package dev.peft4j.apps.diffusion;

import java.util.LinkedHashMap;
import java.util.Map;

/** The names under which a personalisation run's figures are recorded for the experiment report. */
public final class PersonalisationScores {

    /** Mean ViT cosine similarity of generated concept images to the real test images (the reported figure). */
    public static final String SUBJECT_FIDELITY = "subject_fidelity";
    /** The same against held-out training images of the concept: what learning rates are chosen by. */
    public static final String VALIDATION_FIDELITY = "validation_fidelity";
    /** Share of generated concept images the ViT classifies as the concept. */
    public static final String RECOGNITION = "recognition";
    /** Mean share over trained classes of their generated images that the ViT recognises, after personalisation. */
    public static final String PRIOR_PRESERVATION = "prior_preservation";
    /** The same for the base model, on the same seeds. */
    public static final String BASE_PRIOR_PRESERVATION = "base_prior_preservation";
    /** The subject fidelity of the real shots themselves: the ceiling. */
    public static final String SHOTS_FIDELITY = "shots_fidelity";
    /** Wall time of the whole run, sampling and judging included (the cell's own wall time is the training's). */
    public static final String TOTAL_SECONDS = "total_seconds";

    private PersonalisationScores() {
    }

    /** The report's figures by name (prior preservation only where it was measured). */
    public static Map<String, Double> of(DitPersonalisation.Report report) {
        Map<String, Double> scores = new LinkedHashMap<>();
        scores.put(SUBJECT_FIDELITY, report.concept().subjectFidelity());
        scores.put(VALIDATION_FIDELITY, report.concept().validationFidelity());
        scores.put(RECOGNITION, report.concept().recognition());
        if (report.prior() != null) {
            scores.put(PRIOR_PRESERVATION, report.prior().mean());
            scores.put(BASE_PRIOR_PRESERVATION, report.basePrior().mean());
        }
        scores.put(SHOTS_FIDELITY, report.shotsFidelity());
        scores.put(TOTAL_SECONDS, report.totalSeconds());
        return scores;
    }
}
