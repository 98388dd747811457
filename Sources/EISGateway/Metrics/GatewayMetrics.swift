public import Prometheus
import CoreMetrics

/// The gateway's metrics in its own Prometheus registry, rendered at `/metrics`.
///
/// Labels are bounded: model and backend names come from the config, codes from a fixed set.
public struct GatewayMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Creates metrics over a registry.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Row and request counts, not seconds: powers of two up to the default request limit.
        let counts: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets = ["eis_batch_rows": counts, "eis_batch_requests": counts]
        self.factory = factory
    }

    /// One client request's outcome.
    func recordRequest(model: String, code: Int, duration: Duration) {
        Counter(label: "eis_requests_total", dimensions: [("model", model), ("code", String(code))], factory: factory).increment()
        Timer(label: "eis_request_duration_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(duration.wholeNanoseconds)
    }

    /// One backend call's outcome (`ok` or a `BackendError.shortDescription`).
    func recordBackendCall(backend: String, outcome: String, duration: Duration) {
        Counter(label: "eis_backend_requests_total", dimensions: [("backend", backend), ("outcome", outcome)], factory: factory).increment()
        Timer(label: "eis_backend_request_duration_seconds", dimensions: [("backend", backend)], factory: factory)
            .recordNanoseconds(duration.wholeNanoseconds)
    }

    /// One failover inside a request: a share resent to a spare, or a fresh sharing drawn.
    func recordFailover(model: String, reason: String) {
        Counter(label: "eis_failovers_total", dimensions: [("model", model), ("reason", reason)], factory: factory).increment()
    }

    /// One hedge: a share sent to a spare because its backend ran past its p95.
    func recordHedge(model: String) {
        Counter(label: "eis_hedges_total", dimensions: [("model", model)], factory: factory).increment()
    }

    /// One ejection of a backend by outlier detection.
    func recordEjection(backend: String) {
        Counter(label: "eis_ejections_total", dimensions: [("backend", backend)], factory: factory).increment()
    }

    /// One batch shared and sent: its real rows, and the dummy rows that padded it to a bucket.
    func recordBatch(model: String, rows: Int, paddingRows: Int) {
        Recorder(label: "eis_batch_rows", dimensions: [("model", model)], aggregate: true, factory: factory).record(rows)
        Counter(label: "eis_padding_rows_total", dimensions: [("model", model)], factory: factory).increment(by: paddingRows)
    }

    /// How many client requests the batcher coalesced into one batch.
    func recordBatchRequests(model: String, requests: Int) {
        Recorder(label: "eis_batch_requests", dimensions: [("model", model)], aggregate: true, factory: factory).record(requests)
    }

    /// One batch of cover traffic (dummy rows only).
    func recordCoverBatch(model: String) {
        Counter(label: "eis_cover_batches_total", dimensions: [("model", model)], factory: factory).increment()
    }

    /// One configuration reload, successful or not.
    func recordReload(success: Bool) {
        Counter(label: "eis_config_reloads_total", dimensions: [("result", success ? "success" : "failure")], factory: factory).increment()
    }

    /// Whether a backend is currently usable (1) or not (0).
    func setBackendUp(_ backend: String, _ up: Bool) {
        Gauge(label: "eis_backend_up", dimensions: [("backend", backend)], factory: factory).record(up ? 1 : 0)
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
