import CoreMetrics
import Synchronization

/// swift-metrics handles made once per label and dimensions, then reused.
///
/// Making a handle asks the Prometheus registry for it every time: a lock, lookups by name and by
/// labels, and allocations. A request records about ten values, so the gateway keeps the handles
/// it made (perf put the lookups at about 3% of its CPU at concurrency 1). Labels are bounded
/// (`GatewayMetrics`), so the cache is too.
final class MetricHandleCache: Sendable {
    /// A metric's name and its dimensions, flattened to name, value, name, value….
    private struct Key: Hashable {
        let label: String
        let dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            // One allocation: a flatMap made a two-element array per dimension and grew the
            // result, about fourteen allocations per request over the values it records.
            var flat = [String]()
            flat.reserveCapacity(dimensions.count * 2)
            for (name, value) in dimensions {
                flat.append(name)
                flat.append(value)
            }
            self.dimensions = flat
        }
    }

    private struct Handles {
        var counters: [Key: Counter] = [:]
        var timers: [Key: Timer] = [:]
        var recorders: [Key: Recorder] = [:]
        var gauges: [Key: Gauge] = [:]
    }

    private let handles = Mutex(Handles())

    /// The counter for `label` and `dimensions`, made by `make` the first time.
    func counter(_ label: String, _ dimensions: [(String, String)], make: () -> Counter) -> Counter {
        handle(\.counters, Key(label, dimensions), make: make)
    }

    /// The timer for `label` and `dimensions`, made by `make` the first time.
    func timer(_ label: String, _ dimensions: [(String, String)], make: () -> Timer) -> Timer {
        handle(\.timers, Key(label, dimensions), make: make)
    }

    /// The recorder for `label` and `dimensions`, made by `make` the first time.
    func recorder(_ label: String, _ dimensions: [(String, String)], make: () -> Recorder) -> Recorder {
        handle(\.recorders, Key(label, dimensions), make: make)
    }

    /// The gauge for `label` and `dimensions`, made by `make` the first time.
    func gauge(_ label: String, _ dimensions: [(String, String)], make: () -> Gauge) -> Gauge {
        handle(\.gauges, Key(label, dimensions), make: make)
    }

    /// The cached handle, or a new one: made outside the lock (the registry takes its own).
    private func handle<Handle: Sendable>(
        _ table: WritableKeyPath<Handles, [Key: Handle]>, _ key: Key, make: () -> Handle
    ) -> Handle {
        if let cached = handles.withLock({ $0[keyPath: table][key] }) { return cached }
        let made = make()
        return handles.withLock { handles in
            if let cached = handles[keyPath: table][key] { return cached }
            handles[keyPath: table][key] = made
            return made
        }
    }
}
