package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Grey images in [-1, 1] laid out row by row in a grid and written as an 8-bit grey PNG, with a white gutter of
 * {@value #GUTTER} pixels between and around the tiles (Fashion-MNIST's background is black).
 */
public final class ImageGrid {

    /** Pixels of white between and around the tiles. */
    public static final int GUTTER = 2;

    private ImageGrid() {
    }

    /**
     * Writes {@code images} [n, 1, s, s] (values in [-1, 1], clamped beyond) to {@code file} as a PNG of
     * {@code columns} tiles per row, atomically.
     */
    public static void write(NDArray images, int columns, Path file) throws IOException {
        BufferedImage grid = render(images, columns);
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(grid, "png", out)) {
                throw new IOException("This JVM has no PNG writer (javax.imageio); cannot write " + file);
            }
        });
    }

    /** The grid as an image: {@code columns} tiles per row, as many rows as needed. */
    public static BufferedImage render(NDArray images, int columns) {
        long[] shape = images.getShape().getShape();
        if (shape.length != 4 || shape[1] != 1 || shape[2] != shape[3]) {
            throw new IllegalArgumentException("An image grid takes grey square images [n, 1, s, s], found shape "
                    + images.getShape());
        }
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be >= 1, found " + columns);
        }
        int count = Math.toIntExact(shape[0]);
        int side = Math.toIntExact(shape[2]);
        int rows = Math.max(1, (count + columns - 1) / columns);
        int width = columns * (side + GUTTER) + GUTTER;
        int height = rows * (side + GUTTER) + GUTTER;
        BufferedImage grid = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = grid.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setSample(x, y, 0, 255);
            }
        }
        float[] values = images.toFloatArray();
        for (int i = 0; i < count; i++) {
            int left = GUTTER + (i % columns) * (side + GUTTER);
            int top = GUTTER + (i / columns) * (side + GUTTER);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    raster.setSample(left + x, top + y, 0,
                            DiffusionImages.toPixel(values[(i * side + y) * side + x]));
                }
            }
        }
        return grid;
    }
}
