public import Prometheus
import CoreMetrics

/// The gateway's metrics in its own Prometheus registry, rendered at `/metrics`.
///
/// Labels are bounded: model and backend names come from the config, codes from a fixed set.
public struct GatewayMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let handles = MetricHandleCache()

    /// Creates metrics over a registry.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Row and request counts, not seconds: powers of two up to the default request limit.
        let counts: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets = ["eis_batch_rows": counts, "eis_batch_requests": counts]
        self.factory = factory
    }

    /// The counter for these dimensions, made once.
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        handles.counter(label, dimensions) { CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The timer for these dimensions, made once.
    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        handles.timer(label, dimensions) { Timer(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The histogram (an aggregating recorder) for these dimensions, made once.
    private func histogram(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Recorder {
        handles.recorder(label, dimensions) { Recorder(label: label, dimensions: dimensions, aggregate: true, factory: factory) }
    }

    /// The gauge for these dimensions, made once.
    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        handles.gauge(label, dimensions) { CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// One client request's outcome.
    func recordRequest(model: String, code: Int, duration: Duration) {
        counter("eis_requests_total", [("model", model), ("code", String(code))]).increment()
        timer("eis_request_duration_seconds", [("model", model)])
            .recordNanoseconds(duration.wholeNanoseconds)
    }

    /// One backend call's outcome (`ok` or a `BackendError.shortDescription`).
    func recordBackendCall(backend: String, outcome: String, duration: Duration) {
        counter("eis_backend_requests_total", [("backend", backend), ("outcome", outcome)]).increment()
        timer("eis_backend_request_duration_seconds", [("backend", backend)])
            .recordNanoseconds(duration.wholeNanoseconds)
    }

    /// One failover inside a request: a share resent to a spare, or a fresh sharing drawn.
    func recordFailover(model: String, reason: String) {
        counter("eis_failovers_total", [("model", model), ("reason", reason)]).increment()
    }

    /// A hidden layer's input that left the exact fixed-point range: the gateway's error, never the client's.
    func recordFixedPointOverflow(model: String, layer: String) {
        counter("eis_fixed_point_overflows_total", [("model", model), ("layer", layer)]).increment()
    }

    /// Counts a partial that failed verification (`eis_verification_failures_total`).
    func recordVerificationFailure(model: String, layer: String, backend: String) {
        counter("eis_verification_failures_total", [("model", model), ("layer", layer), ("backend", backend)]).increment()
    }

    /// One hedge: a share sent to a spare because its backend ran past its p95.
    func recordHedge(model: String) {
        counter("eis_hedges_total", [("model", model)]).increment()
    }

    /// One ejection of a backend by outlier detection.
    func recordEjection(backend: String) {
        counter("eis_ejections_total", [("backend", backend)]).increment()
    }

    /// One batch shared and sent: its real rows, and the dummy rows that padded it to a bucket.
    func recordBatch(model: String, rows: Int, paddingRows: Int) {
        histogram("eis_batch_rows", [("model", model)]).record(rows)
        counter("eis_padding_rows_total", [("model", model)]).increment(by: paddingRows)
    }

    /// How many client requests the batcher coalesced into one batch.
    func recordBatchRequests(model: String, requests: Int) {
        histogram("eis_batch_requests", [("model", model)]).record(requests)
    }

    /// One batch of cover traffic (dummy rows only).
    func recordCoverBatch(model: String) {
        counter("eis_cover_batches_total", [("model", model)]).increment()
    }

    /// One configuration reload, successful or not.
    func recordReload(success: Bool) {
        counter("eis_config_reloads_total", [("result", success ? "success" : "failure")]).increment()
    }

    /// Whether a backend is currently usable (1) or not (0).
    func setBackendUp(_ backend: String, _ up: Bool) {
        gauge("eis_backend_up", [("backend", backend)]).record(up ? 1 : 0)
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] { registry.emitToBuffer() }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
