package dev.peft4j.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, named here once so the routes and the batcher report the same series:
 * {@code peft4j_requests_total{endpoint,status}}, {@code peft4j_request_seconds{endpoint}},
 * {@code peft4j_batch_rows} (rows per forward, a histogram) and {@code peft4j_queue_depth}.
 */
public final class ServeMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary batchRows;

    public ServeMetrics() {
        batchRows = DistributionSummary.builder("peft4j.batch.rows").description("Rows per model forward")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
    }

    /** Reports {@code depth} (the queued requests) as the queue depth gauge. */
    public void queueDepth(Supplier<Number> depth) {
        Gauge.builder("peft4j.queue.depth", depth).description("Requests waiting for the batcher")
                .register(registry);
    }

    public void batch(int rows) {
        batchRows.record(rows);
    }

    /** One finished request. */
    public void request(String endpoint, int status, long nanos) {
        Counter.builder("peft4j.requests").description("HTTP requests by endpoint and status")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry).increment();
        Timer.builder("peft4j.request").description("HTTP request latency").tag("endpoint", endpoint)
                .register(registry).record(Duration.ofNanos(nanos));
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
