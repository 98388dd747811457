import Dispatch

/// A task executor backed by one serial dispatch queue: the thread a model's local steps run on.
///
/// Why not Swift's cooperative pool: it has one thread per core (two on a small machine), and an
/// encoder's local steps compute for tens of milliseconds per batch. On the pool they stall every
/// other task for that long — HTTP handlers, a fan-out's backend calls, health checks — and
/// deadlines fire that have nothing to do with the encoder. On a queue of its own the work
/// still takes a core, but the kernel shares cores fairly and the pool keeps running
/// (docs/ARCHITECTURE.md, invariant 6).
public final class LocalStepExecutor: TaskExecutor {
    private let queue: DispatchQueue
    /// Marks the queue, so `isCurrent` can tell whether code runs on it.
    private static let marker = DispatchSpecificKey<ObjectIdentifier>()

    /// An executor on a new serial queue named `label`.
    public init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.marker, value: ObjectIdentifier(self))
    }

    /// Whether the calling code runs on this executor's queue (tests check invariant 6 with it).
    public var isCurrent: Bool {
        DispatchQueue.getSpecific(key: Self.marker) == ObjectIdentifier(self)
    }

    /// Runs `job` on the queue.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executor the gateway runs local model steps on: one for the process, so encoder
    /// batches take turns on one core instead of all competing for the pool.
    public static let shared = LocalStepExecutor(label: "eis.local-steps")
}
