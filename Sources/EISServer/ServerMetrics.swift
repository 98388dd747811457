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

    /// Row counts above this share one `rows` label value, so a client cannot grow the number
    /// of series without bound.
    static let largestRowsLabel = 1024

    /// Counts one share request by outcome (`code` is the HTTP status) and by its number of
    /// rows (`rows`: the batch size a gateway sent; `unknown` when the body did not decode).
    func recordRequest(model: String, code: Int, rows: Int?, duration: Duration) {
        Counter(label: "eis_server_requests_total",
                dimensions: [("model", model), ("code", String(code)), ("rows", Self.rowsLabel(rows))], factory: factory)
            .increment()
        Timer(label: "eis_server_request_duration_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// The `rows` label: the exact count up to `largestRowsLabel`, then one bucket above it.
    static func rowsLabel(_ rows: Int?) -> String {
        guard let rows else { return "unknown" }
        return rows <= largestRowsLabel ? String(rows) : "over_\(largestRowsLabel)"
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
