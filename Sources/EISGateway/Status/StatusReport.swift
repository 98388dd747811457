import Foundation

/// The JSON body of `GET /status.json`, which the status page refreshes from.
///
/// States, counts, rates and latencies only: no inputs, outputs, shares, tokens, or URL parts
/// that could hold credentials (URLs go through `HealthReport.displayURL`).
struct StatusReport: Encodable, Sendable {
    /// Recent traffic: the last `window_seconds`, rates over the last `rate_seconds`.
    struct Traffic: Encodable, Sendable {
        var count: Int
        var perSecond: Double
        var errorRatio: Double
        var p50Ms: Double?
        var p90Ms: Double?
        var p99Ms: Double?

        init(_ summary: StatusWindow.Summary) {
            count = summary.count
            perSecond = summary.perSecond
            errorRatio = summary.errorRatio
            p50Ms = summary.p50.map { $0 * 1000 }
            p90Ms = summary.p90.map { $0 * 1000 }
            p99Ms = summary.p99.map { $0 * 1000 }
        }

        enum CodingKeys: String, CodingKey {
            case count
            case perSecond = "per_second", errorRatio = "error_ratio"
            case p50Ms = "p50_ms", p90Ms = "p90_ms", p99Ms = "p99_ms"
        }
    }

    /// One backend of a model.
    struct Backend: Encodable, Sendable {
        var name: String
        var url: String
        var trustDomain: String
        var weight: Double
        /// `verified`, `unverified`, `unhealthy`, `ejected` or `refused`.
        var state: String
        var reason: String?
        /// When an ejection ends (ISO 8601, UTC), while the backend is ejected.
        var ejectedUntil: String?
        /// The pool's moving average of successful call latency.
        var latencyEwmaMs: Double?
        /// Calls in flight.
        var outstanding: Int
        var calls: Traffic?

        enum CodingKeys: String, CodingKey {
            case name, url, weight, state, reason, outstanding, calls
            case trustDomain = "trust_domain", ejectedUntil = "ejected_until", latencyEwmaMs = "latency_ewma_ms"
        }
    }

    /// Batching and padding of a model: its settings and what they did recently.
    struct Batching: Encodable, Sendable {
        var enabled: Bool
        var maxBatch: Int
        var maxDelayMs: Double
        var paddingBuckets: [Int]
        var batches: Int
        var meanRows: Double?
        var meanRequests: Double?
        var paddingShare: Double?

        enum CodingKeys: String, CodingKey {
            case enabled, batches
            case maxBatch = "max_batch", maxDelayMs = "max_delay_ms", paddingBuckets = "padding_buckets"
            case meanRows = "mean_rows", meanRequests = "mean_requests", paddingShare = "padding_share"
        }
    }

    /// One model.
    struct Model: Encodable, Sendable {
        var name: String
        var servable: Bool
        var shares: Int
        /// Trust domains with a backend able to take a call now.
        var trustDomainsUp: Int
        var requests: Traffic?
        var batching: Batching
        var backends: [Backend]

        enum CodingKeys: String, CodingKey {
            case name, servable, shares, requests, batching, backends
            case trustDomainsUp = "trust_domains_up"
        }
    }

    var version: String
    var generatedAt: String
    var windowSeconds: Double
    var rateSeconds: Double
    /// `ok` when every model can be served, else `degraded` (as `/healthz`).
    var status: String
    var models: [Model]

    enum CodingKeys: String, CodingKey {
        case version, status, models
        case generatedAt = "generated_at", windowSeconds = "window_seconds", rateSeconds = "rate_seconds"
    }

    /// A wall-clock time as the report writes it.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
