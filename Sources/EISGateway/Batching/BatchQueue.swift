/// The batcher's decisions as a pure state machine: when a request runs alone, when it waits,
/// and when the waiting requests leave together as one batch.
///
/// It knows nothing of tasks, clocks or backends; `Batcher` performs what it returns, outside
/// its lock. The flush rules, in order:
///
/// | when | then |
/// |---|---|
/// | a request has at least `maxBatch` rows | it runs alone (never split across sharings) |
/// | no batch of this model is in flight (so nothing is queued either) | it runs alone at once: waiting would only add latency |
/// | it would take the queue past `maxBatch` rows | the queue leaves first, then it waits |
/// | it fills the queue to exactly `maxBatch` rows | the queue leaves with it |
/// | the oldest queued request has waited `maxDelay` | the queue leaves (`flushTimerFired`) |
/// | the last batch in flight ends with requests queued | the queue leaves (`finished`) |
/// | the request that holds the queue's timer leaves it (deadline, client gone) | the queue leaves (`remove`) |
///
/// One timer per queue, not per request: the request that starts a queue holds it
/// (`Admission.queued(startsTimer: true)`), so a burst of requests costs one timer.
///
/// Invariant: with no batch in flight the queue is empty, and a non-empty queue has exactly
/// one timer holder in it, so every queued request is waiting for a batch that will end, or
/// for the queue's timer.
struct BatchQueue<Item> {
    /// Most real rows in one batch.
    let maxBatch: Int
    /// Waiting requests in arrival order.
    private(set) var queued: [(id: UInt64, rows: Int, item: Item)] = []
    /// Rows of the waiting requests.
    private(set) var queuedRows = 0
    /// Batches (and lone requests) running now.
    private(set) var inFlight = 0
    /// The queued request that holds the queue's flush timer (the first one in it).
    private(set) var timerHolder: UInt64?

    /// Creates an empty queue.
    ///
    /// - Precondition: `maxBatch ≥ 1`.
    init(maxBatch: Int) {
        precondition(maxBatch >= 1, "maxBatch must be at least 1, got \(maxBatch)")
        self.maxBatch = maxBatch
    }

    /// What to do with an arriving request.
    enum Admission {
        /// Run it now as a batch of its own; call `finished()` when it ends.
        case runAlone
        /// It waits in the queue; `flush`, when set, is a batch to start now (call `finished()`
        /// when it ends). With `startsTimer`, it is the first in a new queue and must run the
        /// queue's flush timer (`flushTimerFired(for:)` when it fires).
        case queued(flush: [Item]?, startsTimer: Bool)
    }

    /// Admits a request of `rows` rows with a unique `id`.
    mutating func admit(id: UInt64, rows: Int, item: Item) -> Admission {
        if rows >= maxBatch || inFlight == 0 {
            inFlight += 1
            return .runAlone
        }
        var flush: [Item]?
        if queuedRows + rows > maxBatch { flush = takeAll() }
        queued.append((id, rows, item))
        queuedRows += rows
        if queuedRows >= maxBatch { flush = takeAll() }
        let startsTimer = queued.count == 1
        if startsTimer { timerHolder = id }
        return .queued(flush: flush, startsTimer: startsTimer)
    }

    /// The flush timer of request `id` fired: if it is still waiting, the whole queue leaves.
    mutating func flushTimerFired(for id: UInt64) -> [Item]? {
        queued.contains { $0.id == id } ? takeAll() : nil
    }

    /// Takes request `id` out of the queue (its deadline passed or its client left).
    ///
    /// - Returns: the rest of the queue as a batch to start now, when `id` held the queue's
    ///   timer: no one else would flush it. Nil otherwise.
    mutating func remove(id: UInt64) -> [Item]? {
        guard let index = queued.firstIndex(where: { $0.id == id }) else { return nil }
        queuedRows -= queued[index].rows
        queued.remove(at: index)
        guard timerHolder == id else { return nil }
        timerHolder = nil
        return takeAll()
    }

    /// Whether request `id` is waiting in the queue.
    func isQueued(_ id: UInt64) -> Bool {
        queued.contains { $0.id == id }
    }

    /// A batch or lone request ended: when it was the last in flight, the queue leaves.
    mutating func finished() -> [Item]? {
        precondition(inFlight > 0, "finished() without a batch in flight")
        inFlight -= 1
        return inFlight == 0 && !queued.isEmpty ? takeAll() : nil
    }

    /// Empties the queue into a batch that counts as in flight.
    private mutating func takeAll() -> [Item]? {
        guard !queued.isEmpty else { return nil }
        let items = queued.map(\.item)
        queued.removeAll(keepingCapacity: true)
        queuedRows = 0
        timerHolder = nil
        inFlight += 1
        return items
    }
}

extension BatchQueue: Sendable where Item: Sendable {}
extension BatchQueue.Admission: Sendable where Item: Sendable {}
