import Synchronization

/// A count of the real batches one model has sent, read by its cover traffic.
///
/// Cover traffic sends a dummy batch only for an interval in which no real batch went out, so
/// it compares this count at the start and end of each interval.
final class BatchActivity: Sendable {
    // Atomic: written on every batch, read once per cover interval.
    private let count = Atomic<Int>(0)

    /// Creates a count of zero.
    init() {}

    /// Counts one real batch.
    func recordRealBatch() {
        count.add(1, ordering: .relaxed)
    }

    /// The number of real batches so far.
    var realBatches: Int { count.load(ordering: .relaxed) }
}
