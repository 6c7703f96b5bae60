package dev.peft4j.apps.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process-level measurements for a run's record: peak resident memory and adapter file size. */
public final class RunMeasurements {

    private RunMeasurements() {
    }

    /**
     * Peak resident set size of this process in MB (Linux {@code VmHWM}), which includes the native
     * tensors that the JVM's heap figures miss; 0 where /proc is not available.
     */
    public static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Size of {@code adapter_model.safetensors} in {@code adapterDir}, 0 when absent. */
    public static long adapterBytes(Path adapterDir) {
        try {
            Path file = adapterDir.resolve("adapter_model.safetensors");
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
