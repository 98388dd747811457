import EISModels

/// Runs CPU-heavy test work (a whole encoder pass in a debug build, a tokenizer over every
/// Unicode scalar) on a thread of its own instead of Swift's cooperative pool.
///
/// Why: the test process's cooperative pool has one thread per core, two here. A test that
/// computes for seconds on them stalls every other test's tasks (a gateway's fan-out, a
/// transport's continuations) for as long, and their deadlines fire: a whole-suite run saw
/// dozens of 504s that no test showed alone. On its own thread the work still takes a core, but
/// the kernel shares the cores fairly and the pool keeps running.
public enum OffPool {
    /// The executor the work runs on: one serial queue for all heavy tests, so they also do not
    /// take both cores at once.
    private static let executor = LocalStepExecutor(label: "eis-tests.off-pool")

    /// Runs `body` and every nonisolated async function it awaits on the off-pool thread.
    public static func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) { try await body() }
    }
}
