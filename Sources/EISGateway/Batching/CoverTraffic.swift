import Logging
public import ServiceLifecycle

/// Constant-rate cover traffic, as a `Service`: for every model with `cover_traffic_rps > 0`,
/// each interval of `1/rps` seconds in which no real batch went out gets one dummy batch.
///
/// A backend then sees at least `rps` batches a second for the model, padded to the smallest
/// bucket, whether the gateway is idle or lightly used. Dummy batches take the normal path
/// (`InferencePipeline.sendCover`): placement, failover, the same backends. At most one cover
/// batch per model is in flight; an interval that finds one still running is skipped, so a slow
/// backend slows cover down instead of piling it up. Its loops live in `run()` and end on
/// graceful shutdown. The rates are read at start; a reload changes them only after a restart.
public struct CoverTraffic: Service {
    private let current: @Sendable () -> Gateway
    /// Interval between batches, by model name.
    private let intervals: [String: Duration]

    /// Creates cover traffic for the models of the runtime's current gateway (each interval
    /// uses the model's pipeline as it is after any reload).
    public init(runtime: GatewayRuntime) {
        self.init(current: { runtime.current })
    }

    /// Creates cover traffic that asks `current` for the gateway on every interval.
    init(current: @escaping @Sendable () -> Gateway) {
        self.current = current
        var intervals = [String: Duration]()
        for model in current().configuration.models where model.coverTrafficRPS > 0 {
            intervals[model.name] = .nanoseconds(Int64((1e9 / model.coverTrafficRPS).rounded()))
        }
        self.intervals = intervals
    }

    /// Sends cover batches until graceful shutdown or cancellation.
    public func run() async throws {
        guard !intervals.isEmpty else {
            // Nothing to send; a service that returned early would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for (model, interval) in intervals {
                    group.addTask { await self.cover(model: model, every: interval) }
                }
            }
        }
    }

    /// One model's loop: a fixed schedule, one dummy batch for each interval with no real one.
    func cover(model name: String, every interval: Duration) async {
        var next = ContinuousClock.now + interval
        var seen: Seen?
        while !Task.isCancelled {
            do { try await Task.sleep(until: next) } catch { return }
            // Missed ticks (a slow cover batch) are skipped, never made up in a burst.
            next = max(next + interval, .now)
            seen = await tick(model: name, after: seen)
        }
    }

    /// The end of one interval: sends a dummy batch when no real batch went out since `seen`,
    /// the state at the end of the previous interval (nil at the first).
    ///
    /// - Returns: the state to compare the next interval with.
    func tick(model name: String, after seen: Seen?) async -> Seen? {
        let gateway = current()
        guard let pipeline = gateway.pipelines[name] else { return nil }
        if let seen, seen == Seen(pipeline) {
            let deadline = ContinuousClock.now + min(gateway.configuration.backendTimeout, gateway.configuration.requestTimeout)
            do throws(GatewayError) {
                try await pipeline.sendCover(deadline: deadline)
            } catch {
                gateway.logger.debug("cover batch failed", metadata: ["model": "\(name)", "error": "\(error.code)"])
            }
        }
        return Seen(pipeline)
    }

    /// A pipeline's identity and its count of real batches: a reload brings a new pipeline,
    /// whose count starts over.
    struct Seen: Equatable {
        let pipeline: ObjectIdentifier
        let realBatches: Int

        init(_ pipeline: InferencePipeline) {
            self.pipeline = ObjectIdentifier(pipeline.activity)
            self.realBatches = pipeline.activity.realBatches
        }
    }
}
