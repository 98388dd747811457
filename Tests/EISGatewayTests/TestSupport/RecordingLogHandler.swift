import Logging
import Synchronization

/// A log handler that keeps every line in memory, so a test can check what the gateway logged
/// (a TLS problem named) and what it never logs (a secret).
struct RecordingLogHandler: LogHandler {
    /// The lines logged through every handler sharing it, as `LEVEL message key=value …`.
    final class Store: Sendable {
        // Guarded by the Mutex.
        private let lines = Mutex<[String]>([])

        /// Every line so far, oldest first.
        var all: [String] { lines.withLock { $0 } }

        /// All lines joined, for `contains` checks.
        var text: String { all.joined(separator: "\n") }

        fileprivate func append(_ line: String) {
            lines.withLock { $0.append(line) }
        }
    }

    /// A logger at `level` whose lines go to `store`.
    static func logger(_ store: Store, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "eis-gateway-tests.recorded") { _ in RecordingLogHandler(store: store) }
        logger.logLevel = level
        return logger
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        store.append(([event.level.rawValue.uppercased(), event.message.description] + fields).joined(separator: " "))
    }
}
