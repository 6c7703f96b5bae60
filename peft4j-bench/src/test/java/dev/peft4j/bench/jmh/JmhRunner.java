package dev.peft4j.bench.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks of this package. Its name ends in neither {@code Test} nor {@code IT}, so the normal test run
 * skips it; run it on purpose, one machine-quiet moment, with
 *
 * <pre>
 * mvn -B -o test -pl peft4j-bench -am -Dtest=JmhRunner -Dsurefire.failIfNoSpecifiedTests=false [-Djmh.include=Truncated]
 * </pre>
 *
 * ({@code jmh.include}: a regex over benchmark names, default all of this package). Results print to the console and
 * go to {@code peft4j-bench/target/jmh-results.json}.
 */
class JmhRunner {

    @Test
    void runBenchmarks() throws RunnerException {
        String include = System.getProperty("jmh.include", JmhRunner.class.getPackageName() + ".*Jmh.*");
        ChainedOptionsBuilder options = new OptionsBuilder().include(include)
                .jvmArgsAppend("-Dai.djl.offline=true", "-Xmx2g")
                .resultFormat(ResultFormatType.JSON).result("target/jmh-results.json");
        new Runner(options.build()).run();
    }
}
