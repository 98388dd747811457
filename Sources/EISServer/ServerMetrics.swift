public import Prometheus
import CoreMetrics

/// The share server's metrics, kept in its own Prometheus registry (no global bootstrap, so
/// several servers in one process, as in tests, never share counters).
public struct ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Creates metrics over a registry.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Counts one share request by outcome (`code` is the HTTP status).
    func recordRequest(model: String, code: Int, duration: Duration) {
        Counter(label: "eis_server_requests_total", dimensions: [("model", model), ("code", String(code))], factory: factory)
            .increment()
        Timer(label: "eis_server_request_duration_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] { registry.emitToBuffer() }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
