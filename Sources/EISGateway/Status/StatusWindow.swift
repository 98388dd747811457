import Synchronization

/// The last minute of requests, backend calls and batches, for the status page's "recent" figures.
///
/// Prometheus keeps the long history; an operator opening `/status` wants "now" without a
/// monitoring stack, so the gateway remembers a bounded ring of recent events per model and per
/// backend (labels come from the configuration, so the rings are bounded in number too) and
/// summarises the ones younger than `span` when asked. Recording is an append under a lock.
final class StatusWindow: Sendable {
    /// One event: when it ended, how long it took (or a size), and whether it failed.
    struct Event: Sendable {
        var at: ContinuousClock.Instant
        var value: Double
        var failed: Bool
    }

    /// A fixed-capacity ring of events, oldest overwritten first.
    struct Ring: Sendable {
        private(set) var events: [Event] = []
        private var next = 0
        let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        mutating func append(_ event: Event) {
            if events.count < capacity {
                events.append(event)
            } else {
                events[next] = event
            }
            next = (next + 1) % capacity
        }
    }

    private struct State {
        var requests: [String: Ring] = [:]
        var backendCalls: [String: Ring] = [:]
        /// Per model: real rows per batch (`value`) …
        var batchRows: [String: Ring] = [:]
        /// … the dummy rows that padded each batch …
        var batchPadding: [String: Ring] = [:]
        /// … and client requests coalesced per batch.
        var batchRequests: [String: Ring] = [:]
    }

    /// How far back the figures look.
    static let span: Duration = .seconds(60)
    /// Requests per second are counted over this shorter, more current stretch.
    static let rateSpan: Duration = .seconds(10)

    // Guarded by the Mutex.
    private let state = Mutex(State())

    /// One client request: its latency and whether the gateway failed it (5xx).
    func recordRequest(model: String, seconds: Double, failed: Bool) {
        let event = Event(at: .now, value: seconds, failed: failed)
        state.withLock { $0.requests[model, default: Ring(capacity: 4096)].append(event) }
    }

    /// One backend call: its latency and whether it failed.
    func recordBackendCall(backend: String, seconds: Double, failed: Bool) {
        let event = Event(at: .now, value: seconds, failed: failed)
        state.withLock { $0.backendCalls[backend, default: Ring(capacity: 1024)].append(event) }
    }

    /// One batch sent: its real rows and its padding rows.
    func recordBatch(model: String, rows: Int, paddingRows: Int) {
        let now = ContinuousClock.now
        state.withLock {
            $0.batchRows[model, default: Ring(capacity: 1024)].append(Event(at: now, value: Double(rows), failed: false))
            $0.batchPadding[model, default: Ring(capacity: 1024)].append(Event(at: now, value: Double(paddingRows), failed: false))
        }
    }

    /// How many client requests one batch carried.
    func recordBatchRequests(model: String, requests: Int) {
        let event = Event(at: .now, value: Double(requests), failed: false)
        state.withLock { $0.batchRequests[model, default: Ring(capacity: 1024)].append(event) }
    }

    /// The recent requests of a model, or nil when there were none.
    func requests(model: String, now: ContinuousClock.Instant = .now) -> Summary? {
        Summary(recent(\.requests, model, now: now), now: now)
    }

    /// The recent calls to a backend, or nil when there were none.
    func backendCalls(backend: String, now: ContinuousClock.Instant = .now) -> Summary? {
        Summary(recent(\.backendCalls, backend, now: now), now: now)
    }

    /// The recent batches of a model, or nil when there were none.
    func batches(model: String, now: ContinuousClock.Instant = .now) -> BatchSummary? {
        let rows = recent(\.batchRows, model, now: now), padding = recent(\.batchPadding, model, now: now)
        guard !rows.isEmpty else { return nil }
        let requests = recent(\.batchRequests, model, now: now)
        let realRows = rows.reduce(0) { $0 + $1.value }, paddingRows = padding.reduce(0) { $0 + $1.value }
        return BatchSummary(
            batches: rows.count,
            meanRows: realRows / Double(rows.count),
            meanRequests: requests.isEmpty ? nil : requests.reduce(0) { $0 + $1.value } / Double(requests.count),
            paddingShare: realRows + paddingRows > 0 ? paddingRows / (realRows + paddingRows) : 0)
    }

    private func recent(_ table: KeyPath<State, [String: Ring]>, _ key: String, now: ContinuousClock.Instant) -> [Event] {
        let oldest = now - Self.span
        return state.withLock { $0[keyPath: table][key]?.events.filter { $0.at >= oldest } } ?? []
    }

    /// Counts, rate and latency percentiles of a set of recent events.
    struct Summary: Sendable, Equatable {
        /// Events in the last `span`.
        var count: Int
        /// Events per second over the last `rateSpan`.
        var perSecond: Double
        /// Share of the events that failed, 0…1.
        var errorRatio: Double
        /// Latency percentiles in seconds, over the successful events (nil when none succeeded).
        var p50: Double?
        var p90: Double?
        var p99: Double?

        init?(_ events: [Event], now: ContinuousClock.Instant) {
            guard !events.isEmpty else { return nil }
            count = events.count
            let rateFrom = now - StatusWindow.rateSpan
            perSecond = Double(events.count { $0.at >= rateFrom }) / StatusWindow.rateSpan.seconds
            errorRatio = Double(events.count(where: \.failed)) / Double(events.count)
            let latencies = events.filter { !$0.failed }.map(\.value).sorted()
            p50 = Self.percentile(0.50, of: latencies)
            p90 = Self.percentile(0.90, of: latencies)
            p99 = Self.percentile(0.99, of: latencies)
        }

        /// The nearest-rank percentile of sorted values.
        static func percentile(_ fraction: Double, of sorted: [Double]) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }

    /// What the batcher and padding did recently.
    struct BatchSummary: Sendable, Equatable {
        var batches: Int
        var meanRows: Double
        var meanRequests: Double?
        /// Dummy rows as a share of all rows sent, 0…1.
        var paddingShare: Double
    }
}

