/// Exact counts, failures and sums of values per second, for the last few seconds: a slot per
/// second, reused when its second is past.
///
/// Why not count the events kept in a ring: a ring of fixed size holds the last N events, so at
/// more than N per minute the status page's counts and rates were capped (a backend's 1,024
/// events filled in a minute at 17 calls per second). Tallies cost the same at any rate.
struct SecondTallies: Sendable {
    /// What a stretch of seconds adds up to.
    struct Totals: Sendable, Equatable {
        var count = 0
        var failures = 0
        var sum = 0.0
    }

    /// The second each slot holds, or `Int64.min` for a slot never used.
    private var seconds: [Int64]
    private var totals: [Totals]

    /// Tallies for `slots` seconds (the oldest is forgotten when a newer second needs its slot).
    init(slots: Int) {
        seconds = [Int64](repeating: .min, count: slots)
        totals = [Totals](repeating: Totals(), count: slots)
    }

    /// Adds one event of `second`; an event older than what the slots hold is dropped.
    mutating func add(_ value: Double, failed: Bool, second: Int64) {
        let slot = Self.slot(of: second, count: seconds.count)
        if seconds[slot] != second {
            // A slot holds an older second until a newer one takes it; an event older than the
            // second in its slot is past the window already.
            guard seconds[slot] < second else { return }
            seconds[slot] = second
            totals[slot] = Totals()
        }
        totals[slot].count += 1
        totals[slot].failures += failed ? 1 : 0
        totals[slot].sum += value
    }

    /// The totals of seconds `first` through `last`, both included.
    func totals(from first: Int64, through last: Int64) -> Totals {
        var result = Totals()
        for (slot, second) in seconds.enumerated() where second >= first && second <= last {
            result.count += totals[slot].count
            result.failures += totals[slot].failures
            result.sum += totals[slot].sum
        }
        return result
    }

    /// The slot for `second`, also for seconds before the origin (negative).
    private static func slot(of second: Int64, count: Int) -> Int {
        let remainder = Int(second % Int64(count))
        return remainder < 0 ? remainder + count : remainder
    }
}
