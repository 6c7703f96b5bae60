package dev.peft4j.train.vision;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.List;

/**
 * Fashion-MNIST (Xiao et al., 2017): 60,000 + 10,000 grey 28 x 28 images of 10 kinds of clothing, from the Debian
 * package {@value #DEBIAN_PACKAGE} ({@code usr/share/datasets/fashion-mnist/*-ubyte.gz}, 31 MB). The ViT is
 * pretrained on it, as no pretrained ViT is reachable from these machines.
 */
public final class FashionMnist {

    public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
    static final String DIR = "usr/share/datasets/fashion-mnist";
    public static final List<String> LABEL_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Pixel mean and standard deviation of the 60,000 training images (on the 0-1 scale). */
    public static final Normalization NORMALIZATION = new Normalization(0.2860f, 0.3530f);

    private FashionMnist() {
    }

    /** Train and test sets, fetched into {@code cache} on first use; sizes, magic numbers and labels checked. */
    public static ImageSplit load(ArtifactCache cache) throws IOException {
        return ImageSplit.readMnistLayout(cache.debianPackage(DEBIAN_PACKAGE).resolve(DIR), ".gz", LABEL_NAMES);
    }
}
