package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PNG grids: layout, gutter and the [-1, 1] to 0-255 mapping, read back through ImageIO. */
class ImageGridTest {

    @TempDir
    Path temp;

    @Test
    void writesAReadablePngWithTilesRowByRow() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] values = new float[3 * 4 * 4];
            for (int i = 0; i < 16; i++) {
                values[i] = -1f; // tile 0 black
                values[16 + i] = 0f; // tile 1 mid grey
                values[32 + i] = 0.5f; // tile 2 light grey
            }
            values[16 + 4 + 3] = 1f; // tile 1, row 1, column 3
            values[32 + 5] = 2f; // tile 2, row 1, column 1: beyond the range, clamped to white
            Path file = temp.resolve("grid.png");
            ImageGrid.write(manager.create(values, new Shape(3, 1, 4, 4)), 2, file);
            BufferedImage read = ImageIO.read(file.toFile());
            assertNotNull(read, "ImageIO reads the file back as an image");
            int g = ImageGrid.GUTTER;
            assertEquals(2 * (4 + g) + g, read.getWidth());
            assertEquals(2 * (4 + g) + g, read.getHeight());
            assertEquals(255, grey(read, 0, 0), "gutter");
            assertEquals(0, grey(read, g, g), "tile 0");
            assertEquals(128, grey(read, g + 4 + g, g), "tile 1: (0 + 1) * 127.5 rounds to 128");
            assertEquals(255, grey(read, g + 4 + g + 3, g + 1), "tile 1, row 1, column 3");
            assertEquals(191, grey(read, g, g + 4 + g), "tile 2 starts the second row: 1.5 * 127.5 rounds to 191");
            assertEquals(255, grey(read, g + 1, g + 4 + g + 1), "clamped");
            assertEquals(255, grey(read, g + 4 + g, g + 4 + g), "an empty cell stays white");
        }
    }

    private static int grey(BufferedImage image, int x, int y) {
        return image.getRaster().getSample(x, y, 0);
    }
}
