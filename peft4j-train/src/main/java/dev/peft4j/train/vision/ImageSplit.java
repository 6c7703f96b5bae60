package dev.peft4j.train.vision;

/** A data set's official parts: {@code train} (to be split further for validation) and {@code test}. */
public record ImageSplit(ImageDataset train, ImageDataset test) {

    /** Both parts restricted to {@code classes}, relabelled in the order given ({@link ImageDataset#withClasses}). */
    public ImageSplit withClasses(int... classes) {
        return new ImageSplit(train.withClasses(classes), test.withClasses(classes));
    }

    /** Reads the four IDX files of an MNIST-style data set: 60,000 + 10,000 images of 28 x 28, 10 classes. */
    static ImageSplit readMnistLayout(java.nio.file.Path dir, String suffix, java.util.List<String> labelNames)
            throws java.io.IOException {
        int classes = labelNames.size();
        ImageDataset train = ImageDataset.of(
                Idx.readImages(dir.resolve("train-images-idx3-ubyte" + suffix), 60_000, 28, 28),
                Idx.readLabels(dir.resolve("train-labels-idx1-ubyte" + suffix), 60_000, classes), labelNames);
        ImageDataset test = ImageDataset.of(
                Idx.readImages(dir.resolve("t10k-images-idx3-ubyte" + suffix), 10_000, 28, 28),
                Idx.readLabels(dir.resolve("t10k-labels-idx1-ubyte" + suffix), 10_000, classes), labelNames);
        return new ImageSplit(train, test);
    }
}
