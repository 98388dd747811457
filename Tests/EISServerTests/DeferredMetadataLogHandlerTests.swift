import EISLogging
import Logging
import Synchronization
import Testing

/// `DeferredMetadataLogHandler` keeps metadata to itself until a line is logged, then hands the
/// line on with the logger's metadata merged under the call site's.
struct DeferredMetadataLogHandlerTests {
    /// The inner handler: remembers the events it is given and the metadata set on it directly.
    struct Recorder: LogHandler {
        let box: Box
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) { box.events.withLock { $0.append(event) } }
    }

    /// Where the recorder puts what it was given.
    final class Box: Sendable {
        let events = Mutex<[LogEvent]>([])
    }

    private func logger(_ box: Box, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "test") { _ in DeferredMetadataLogHandler(Recorder(box: box)) }
        logger.logLevel = level
        return logger
    }

    @Test func loggerMetadataReachesTheLineAndTheCallSiteWinsOnTheSameKey() {
        let box = Box()
        var logger = logger(box)
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "backend"] = "a"
        logger.info("call", metadata: ["backend": "b", "status": "200"])
        let events = box.events.withLock { $0 }
        #expect(events.count == 1)
        #expect(events.first?.message == "call")
        #expect(events.first?.metadata == ["request": "r1", "backend": "b", "status": "200"])
        #expect(logger[metadataKey: "backend"] == "a")
    }

    @Test func linesBelowTheLevelAreNotHandedOn() {
        let box = Box()
        var logger = logger(box, level: .warning)
        logger[metadataKey: "request"] = "r1"
        logger.info("quiet")
        logger.debug("quieter")
        logger.warning("loud")
        let events = box.events.withLock { $0 }
        #expect(events.map(\.message) == ["loud"])
        #expect(events.first?.metadata == ["request": "r1"])
    }

    @Test func withoutLoggerMetadataTheCallSiteMetadataPassesUnchanged() {
        let box = Box()
        let logger = logger(box)
        logger.error("plain")
        logger.error("tagged", metadata: ["k": "v"])
        let events = box.events.withLock { $0 }
        #expect(events.map(\.metadata) == [nil, ["k": "v"]])
    }
}
