import Synchronization

/// The last minute of requests, backend calls and batches, for the status page's "recent" figures.
///
/// Prometheus keeps the long history; an operator opening `/status` wants "now" without a
/// monitoring stack. Per model and per backend (labels come from the configuration, so they are
/// bounded) the window keeps exact per-second tallies of the last minute (`SecondTallies`: counts,
/// failures and sums stay right at any rate) and a ring of the newest events as the sample its
/// latency percentiles are read from. Each of those has its own lock, so recording a backend's
/// call never waits for another backend's; the table of them is locked only to find one.
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

    /// What one model or backend recorded: exact tallies and the newest events.
    final class Track: Sendable {
        struct State {
            var tallies = SecondTallies(slots: StatusWindow.slots)
            var newest = Ring(capacity: StatusWindow.sampleSize)
        }

        /// Guarded by the Mutex.
        let state = Mutex(State())
    }

    /// The tracks of one kind of event, by model or backend name.
    private final class Tracks: Sendable {
        /// Guarded by the Mutex; a track, once made, is kept (names are bounded).
        private let tracks = Mutex([String: Track]())

        /// The named track, made on first use.
        func track(_ name: String) -> Track {
            tracks.withLock { tracks in
                if let track = tracks[name] { return track }
                let track = Track()
                tracks[name] = track
                return track
            }
        }

        /// The named track, or nil when nothing was recorded under that name.
        func existing(_ name: String) -> Track? {
            tracks.withLock { $0[name] }
        }
    }

    /// How far back the figures look.
    static let span: Duration = .seconds(60)
    /// Requests per second are counted over this shorter, more current stretch.
    static let rateSpan: Duration = .seconds(10)
    /// Latency percentiles come from at most this many newest events of the last `span`.
    static let sampleSize = 1024
    /// One tally per second of `span`, and one for the second under way.
    static let slots = Int(span.components.seconds) + 1

    /// Instants become whole seconds counted from here.
    private let origin = ContinuousClock.now
    private let requests = Tracks()
    private let backendCalls = Tracks()
    /// Per model: real rows per batch (`value`) …
    private let batchRows = Tracks()
    /// … the dummy rows that padded each batch …
    private let batchPadding = Tracks()
    /// … and client requests coalesced per batch.
    private let batchRequests = Tracks()

    /// One client request: its latency and whether the gateway failed it (5xx).
    func recordRequest(model: String, seconds: Double, failed: Bool, at instant: ContinuousClock.Instant = .now) {
        record(Event(at: instant, value: seconds, failed: failed), in: requests.track(model))
    }

    /// One backend call: its latency and whether it failed.
    func recordBackendCall(backend: String, seconds: Double, failed: Bool, at instant: ContinuousClock.Instant = .now) {
        record(Event(at: instant, value: seconds, failed: failed), in: backendCalls.track(backend))
    }

    /// One batch sent: its real rows and its padding rows.
    func recordBatch(model: String, rows: Int, paddingRows: Int, at instant: ContinuousClock.Instant = .now) {
        record(Event(at: instant, value: Double(rows), failed: false), in: batchRows.track(model))
        record(Event(at: instant, value: Double(paddingRows), failed: false), in: batchPadding.track(model))
    }

    /// How many client requests one batch carried.
    func recordBatchRequests(model: String, requests: Int, at instant: ContinuousClock.Instant = .now) {
        record(Event(at: instant, value: Double(requests), failed: false), in: batchRequests.track(model))
    }

    /// The recent requests of a model, or nil when there were none.
    func requests(model: String, now: ContinuousClock.Instant = .now) -> Summary? {
        summary(of: requests.existing(model), now: now)
    }

    /// The recent calls to a backend, or nil when there were none.
    func backendCalls(backend: String, now: ContinuousClock.Instant = .now) -> Summary? {
        summary(of: backendCalls.existing(backend), now: now)
    }

    /// The recent batches of a model, or nil when there were none.
    func batches(model: String, now: ContinuousClock.Instant = .now) -> BatchSummary? {
        let rows = totals(of: batchRows.existing(model), now: now)
        guard rows.count > 0 else { return nil }
        let padding = totals(of: batchPadding.existing(model), now: now)
        let requests = totals(of: batchRequests.existing(model), now: now)
        return BatchSummary(
            batches: rows.count,
            meanRows: rows.sum / Double(rows.count),
            meanRequests: requests.count == 0 ? nil : requests.sum / Double(requests.count),
            paddingShare: rows.sum + padding.sum > 0 ? padding.sum / (rows.sum + padding.sum) : 0)
    }

    /// `instant` in whole seconds since `origin`, rounded down (also before it).
    private func second(of instant: ContinuousClock.Instant) -> Int64 {
        let elapsed = (instant - origin).components
        return elapsed.attoseconds < 0 ? elapsed.seconds - 1 : elapsed.seconds
    }

    private func record(_ event: Event, in track: Track) {
        let second = second(of: event.at)
        track.state.withLock { state in
            state.tallies.add(event.value, failed: event.failed, second: second)
            state.newest.append(event)
        }
    }

    /// The tallies of the last `span` of a track.
    private func totals(of track: Track?, now: ContinuousClock.Instant) -> SecondTallies.Totals {
        guard let track else { return SecondTallies.Totals() }
        let last = second(of: now)
        return track.state.withLock { $0.tallies.totals(from: last - Int64(Self.slots) + 2, through: last) }
    }

    private func summary(of track: Track?, now: ContinuousClock.Instant) -> Summary? {
        guard let track else { return nil }
        let last = second(of: now), oldest = now - Self.span
        let rateSeconds = Int64(Self.rateSpan.components.seconds)
        let (minute, recent, sample) = track.state.withLock { state in
            (state.tallies.totals(from: last - Int64(Self.slots) + 2, through: last),
             state.tallies.totals(from: last - rateSeconds + 1, through: last),
             state.newest.events.filter { $0.at >= oldest && !$0.failed }.map(\.value))
        }
        return Summary(minute: minute, lastRateSpan: recent, successfulLatencies: sample)
    }

    /// Counts, rate and latency percentiles of a track's last minute.
    struct Summary: Sendable, Equatable {
        /// Events in the last `span`.
        var count: Int
        /// Events per second over the last `rateSpan`.
        var perSecond: Double
        /// Share of the events that failed, 0…1.
        var errorRatio: Double
        /// Latency percentiles in seconds, over the newest successful events (at most
        /// `sampleSize`; nil when none succeeded).
        var p50: Double?
        var p90: Double?
        var p99: Double?

        /// Nil when the minute holds no event.
        init?(minute: SecondTallies.Totals, lastRateSpan: SecondTallies.Totals, successfulLatencies: [Double]) {
            guard minute.count > 0 else { return nil }
            count = minute.count
            perSecond = Double(lastRateSpan.count) / StatusWindow.rateSpan.seconds
            errorRatio = Double(minute.failures) / Double(minute.count)
            let latencies = successfulLatencies.sorted()
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
