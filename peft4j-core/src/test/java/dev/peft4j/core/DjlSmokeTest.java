package dev.peft4j.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class DjlSmokeTest {
    @Test
    void engineLoads() {
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.ones(new ai.djl.ndarray.types.Shape(2, 2));
            assertEquals(4f, a.sum().getFloat(), 0f); // a sum of four 1s is exact in any order
            System.out.println("engine version " + Engine.getInstance().getVersion() + ", intra-op threads "
                    + JniUtils.getNumThreads() + ", inter-op threads " + JniUtils.getNumInteropThreads());
        }
    }

    /** {@code mvn test -Dpeft4j.test.threads=N} (the parent pom's test-threads profile) reaches the engine. */
    @Test
    void engineUsesTheRequestedThreadCount() {
        String requested = System.getProperty("peft4j.test.threads");
        Assumptions.assumeTrue(requested != null, "no -Dpeft4j.test.threads: the engine's default thread count");
        Engine.getInstance();
        assertEquals(Integer.parseInt(requested), JniUtils.getNumThreads(), "intra-op threads");
        assertEquals(1, JniUtils.getNumInteropThreads(), "inter-op threads");
    }
}
