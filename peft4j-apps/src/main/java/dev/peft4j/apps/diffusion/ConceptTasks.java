package dev.peft4j.apps.diffusion;

import dev.peft4j.train.vision.FashionMnist;
import java.util.List;
import java.util.Locale;

/**
 * A personalisation concept as an experiment task: a Fashion-MNIST class by its name in lower case with dashes
 * ({@code bag}, {@code ankle-boot}, {@code t-shirt-top}), which the DiT must have held out.
 */
public final class ConceptTasks {

    /** Every concept's task id, in class order. */
    public static final List<String> IDS = FashionMnist.LABEL_NAMES.stream().map(ConceptTasks::id).toList();

    private ConceptTasks() {
    }

    /** The task id of the class named {@code name}: lower case, every other run of characters a dash. */
    static String id(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    /** The task id of Fashion-MNIST class {@code concept}. */
    public static String idOf(int concept) {
        if (concept < 0 || concept >= IDS.size()) {
            throw new IllegalArgumentException("Concept " + concept + " is not a Fashion-MNIST class (0-"
                    + (IDS.size() - 1) + ")");
        }
        return IDS.get(concept);
    }

    /** The Fashion-MNIST class of task {@code id}, or an error listing the ids. */
    public static int classOf(String id) {
        int index = IDS.indexOf(id);
        if (index < 0) {
            throw new IllegalArgumentException("Unknown personalisation task '" + id + "'; concepts are Fashion-MNIST "
                    + "classes the DiT held out: " + IDS);
        }
        return index;
    }
}
