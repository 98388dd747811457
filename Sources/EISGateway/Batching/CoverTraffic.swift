import Logging
public import ServiceLifecycle

/// Constant-rate cover traffic, as a `Service`: for every model with `cover_traffic_rps > 0`,
/// one schedule of slots every `1/rps` seconds, each carrying one batch, real or dummy.
///
/// Real batches wait for the next free slot (`BatchActivity`); a slot no real batch claimed
/// gets a dummy batch. A backend then sees one batch per slot for the model, all at the same
/// phase, whether the gateway is idle or busy. Dummy batches take the normal path
/// (`InferencePipeline.sendCover`) with a real request's deadline: placement, failover, the same
/// backends. Its loops live in `run()` and end on graceful shutdown. The rates are read at
/// start; a reload changes them only after a restart.
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

    /// One model's loop: one fixed schedule of slots every `interval`, shared with the real
    /// batches (`BatchActivity`); a slot that no real batch claimed carries a dummy batch.
    ///
    /// The loop looks at slot `n` half an interval early: if no real batch has claimed it, it
    /// takes it and starts a task that pads a dummy batch and sleeps until the slot, exactly as
    /// a real batch waits for its slot in `InferencePipeline.infer`, so both leave alike. A real
    /// batch that comes later takes the next free slot.
    func cover(model name: String, every interval: Duration) async {
        let origin = ContinuousClock.now + interval
        let lead = interval / 2
        var slot = 0
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while !Task.isCancelled {
                var departure = origin + interval * slot
                if ContinuousClock.now < departure - lead {
                    do { try await Task.sleep(until: departure - lead) } catch { break }
                }
                // Slots missed while this loop was late are left empty, never made up in a burst:
                // it goes on with the first slot still ahead, at once. (Sleeping again for that
                // slot's look-ahead point sent nothing at all while every wake-up came more than
                // half an interval late, as on a loaded machine: the cover stopped.)
                let now = ContinuousClock.now
                if now > departure {
                    slot = Int(((now - origin) / interval).rounded(.up))
                    departure = origin + interval * slot
                }
                let taken = slot
                slot += 1
                while inFlight >= Self.maxInFlight, await group.next() != nil { inFlight -= 1 }
                let gateway = current()
                guard let pipeline = gateway.pipelines[name] else { continue }
                // A reloaded model has a new pipeline: it joins the same schedule.
                pipeline.activity.schedule(every: interval, from: origin)
                guard pipeline.activity.takeForCover(slot: taken) else { continue }
                inFlight += 1
                group.addTask { await Self.send(pipeline, at: departure, gateway: gateway) }
            }
            group.cancelAll()
        }
    }

    /// Most cover batches of one model in flight at once; a slot past that stays empty, so a
    /// slow backend slows cover down instead of piling it up.
    static let maxInFlight = 4

    /// Sends one dummy batch with the deadline a real request gets, so it fails over exactly as
    /// a real batch does (a share that times out at `backend_timeout_ms` goes to a spare).
    static func send(_ pipeline: InferencePipeline, at departure: ContinuousClock.Instant, gateway: Gateway) async {
        let deadline = departure + gateway.configuration.requestTimeout
        do throws(GatewayError) {
            try await pipeline.sendCover(at: departure, deadline: deadline)
        } catch {
            gateway.logger.debug("cover batch failed", metadata: ["model": "\(pipeline.model.name)", "error": "\(error.code)"])
        }
    }
}
