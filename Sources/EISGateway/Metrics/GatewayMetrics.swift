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
    /// The last minute of events, for `/status` (Prometheus keeps the history).
    let window = StatusWindow()

    /// Creates metrics over a registry.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Row and request counts, not seconds: powers of two up to the default request limit.
        let counts: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets = ["eis_batch_rows": counts, "eis_batch_requests": counts]
        self.factory = factory
        // Constant 1; the version is in the label, so a dashboard can show what runs where.
        gauge("eis_build_info", [("version", GatewayVersion.current)]).record(1)
    }

    /// The counter for these dimensions, made once.
    func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        handles.counter(label, dimensions) { CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The timer for these dimensions, made once.
    func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        handles.timer(label, dimensions) { Timer(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The histogram (an aggregating recorder) for these dimensions, made once.
    func histogram(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Recorder {
        handles.recorder(label, dimensions) { Recorder(label: label, dimensions: dimensions, aggregate: true, factory: factory) }
    }

    /// The gauge for these dimensions, made once.
    func gauge(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Gauge {
        handles.gauge(label, dimensions) { CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// One client request's outcome.
    func recordRequest(model: String, code: Int, duration: Duration) {
        counter("eis_requests_total", [("model", model), ("code", String(code))]).increment()
        timer("eis_request_duration_seconds", [("model", model)])
            .recordNanoseconds(duration.wholeNanoseconds)
        window.recordRequest(model: model, seconds: duration.seconds, failed: code >= 500)
    }

    /// One share round's wall time, from drawing its sharing to its recombined answer: a request
    /// to a model of several layers runs one per linear layer, so this tells how much of its
    /// time the rounds take (docs/OVERHEAD.md).
    func recordRound(model: String, duration: Duration) {
        timer("eis_round_duration_seconds", [("model", model)]).recordNanoseconds(duration.wholeNanoseconds)
    }

    /// One backend call's outcome (`ok` or a `BackendError.shortDescription`).
    func recordBackendCall(backend: String, outcome: String, duration: Duration) {
        counter("eis_backend_requests_total", [("backend", backend), ("outcome", outcome)]).increment()
        timer("eis_backend_request_duration_seconds", [("backend", backend)])
            .recordNanoseconds(duration.wholeNanoseconds)
        // A cancelled call (a hedge's loser, a client gone) says nothing about the backend.
        if outcome != "cancelled" { window.recordBackendCall(backend: backend, seconds: duration.seconds, failed: outcome != "ok") }
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
        window.recordBatch(model: model, rows: rows, paddingRows: paddingRows)
    }

    /// How many client requests the batcher coalesced into one batch.
    func recordBatchRequests(model: String, requests: Int) {
        histogram("eis_batch_requests", [("model", model)]).record(requests)
        window.recordBatchRequests(model: model, requests: requests)
    }

    /// One batch of cover traffic (dummy rows only).
    func recordCoverBatch(model: String) {
        counter("eis_cover_batches_total", [("model", model)]).increment()
    }

    /// One configuration reload, successful or not.
    func recordReload(success: Bool) {
        counter("eis_config_reloads_total", [("result", success ? "success" : "failure")]).increment()
    }

    /// How many trust domains can take a share of a model now, beside how many it needs
    /// (`eis_model_shares`): fewer, and the model cannot be served.
    func setTrustDomainsUp(model: String, up: Int, shares: Int) {
        gauge("eis_model_trust_domains_up", [("model", model)]).record(up)
        gauge("eis_model_shares", [("model", model)]).record(shares)
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
