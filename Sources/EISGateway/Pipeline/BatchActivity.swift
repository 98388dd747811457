import Synchronization

/// One model's batch schedule: with cover traffic on, every batch that leaves for the backends,
/// real or dummy, leaves at a slot of one fixed grid, and each slot carries at most one batch.
///
/// Cover traffic used to tick on its own grid while real batches left at any moment, and a real
/// batch cancelled the next tick: a backend could tell every real batch by its phase. Now a
/// real batch claims the next free slot and waits for it (`claimSlot`); at each slot the cover
/// loop sends a dummy batch only if no real batch claimed it (`takeForCover`). So a backend sees
/// one batch per slot, all at the same phase, whichever kind it is.
///
/// The extra wait of a real batch is at most one and a half intervals (`1 / cover_traffic_rps`;
/// cover traffic takes a free slot half an interval ahead) while real batches come no faster
/// than the slots; faster ones queue one slot each, within their deadlines. Without cover
/// traffic there is no schedule and batches leave at once.
final class BatchActivity: Sendable {
    private struct State {
        /// The grid: slot `n` is at `origin + n · interval`; nil without cover traffic.
        var origin: ContinuousClock.Instant?
        var interval: Duration = .zero
        /// Slots already taken (by a real or a cover batch), pruned as time passes.
        var taken: Set<Int> = []
        var realBatches = 0
    }

    // Guarded by the Mutex: the grid, its taken slots, and the count of real batches.
    private let state = Mutex(State())

    /// Creates an activity record with no schedule.
    init() {}

    /// Starts the slot grid at `origin` with one slot every `interval`, unless it has one
    /// (cover traffic calls it at every slot, so a reloaded pipeline joins the schedule).
    func schedule(every interval: Duration, from origin: ContinuousClock.Instant) {
        state.withLock { state in
            guard state.origin == nil else { return }
            state.origin = origin
            state.interval = interval
            state.taken = []
        }
    }

    /// When a real batch leaves.
    enum Departure: Equatable {
        /// At once: no cover traffic, so no schedule.
        case now
        /// At this slot, which it has claimed.
        case at(ContinuousClock.Instant)
        /// Its deadline passes before the first free slot; nothing was claimed.
        case tooLate
    }

    /// Counts one real batch and, with a schedule, claims the first free slot not before now
    /// if it comes by `deadline`.
    func claimSlot(by deadline: ContinuousClock.Instant) -> Departure {
        state.withLock { state in
            state.realBatches += 1
            guard let origin = state.origin, state.interval > .zero else { return .now }
            // `now` read under the lock, so a slot the cover loop took is never claimed again.
            let now = ContinuousClock.now
            var slot = max(0, Int(((now - origin) / state.interval).rounded(.up)))
            while state.taken.contains(slot) { slot += 1 }
            let departure = origin + state.interval * slot
            guard departure <= deadline else { return .tooLate }
            state.taken.insert(slot)
            // Forget slots long past; the set stays small.
            let current = Int(((now - origin) / state.interval).rounded(.down))
            state.taken = state.taken.filter { $0 >= current - 1 }
            return .at(departure)
        }
    }

    /// Takes slot `slot` for a cover batch; false when a real batch already claimed it.
    func takeForCover(slot: Int) -> Bool {
        state.withLock { $0.taken.insert(slot).inserted }
    }

    /// The number of real batches so far.
    var realBatches: Int { state.withLock { $0.realBatches } }
}
