import EISLogging
import Foundation
import Logging
import Synchronization
import Testing

/// JSON logs: one object per line whatever the message holds, with the logger's and the call's
/// metadata merged, so a log shipper never has to guess where a line ends.
struct JSONLogHandlerTests {
    /// Collects the lines a handler writes.
    final class Lines: Sendable {
        private let written = Mutex([String]())
        var all: [String] { written.withLock { $0 } }
        func append(_ bytes: [UInt8]) { written.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }

    private func logger(_ lines: Lines, level: Logger.Level = .info) -> Logger {
        var handler = JSONLogHandler(label: "eis-test") { lines.append($0) }
        handler.logLevel = level
        return Logger(label: "eis-test") { _ in handler }
    }

    private func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { $0 != "\n" }, "one line per event")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func everyEventIsOneObjectWithTimestampLevelLabelAndMessage() throws {
        let lines = Lines()
        var logger = logger(lines)
        logger[metadataKey: "model"] = "demo"
        logger.warning("backend call failed", metadata: ["backend": "a", "attempts": "\(2)"])
        logger.debug("below the level")
        #expect(lines.all.count == 1)
        let event = try object(lines.all[0])
        #expect(event["level"] as? String == "warning")
        #expect(event["label"] as? String == "eis-test")
        #expect(event["message"] as? String == "backend call failed")
        #expect(event["metadata"] as? [String: String] == ["model": "demo", "backend": "a", "attempts": "2"])
        let timestamp = try #require(event["timestamp"] as? String)
        #expect(try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(timestamp).timeIntervalSinceNow.magnitude < 60)
    }

    @Test func controlCharactersCannotBreakOrForgeALine() throws {
        let lines = Lines()
        let logger = logger(lines)
        let hostile = "evil\n{\"level\":\"critical\"}\r\t\u{1B}[31m\u{0}\u{2028}\"\\"
        logger.error("\(hostile)", metadata: ["reason": "\(hostile)", "list": ["a\nb"], "nested": ["k\n": "v"]])
        #expect(lines.all.count == 1)
        let event = try object(lines.all[0])
        #expect(event["message"] as? String == hostile)
        let metadata = try #require(event["metadata"] as? [String: Any])
        #expect(metadata["reason"] as? String == hostile)
        #expect(metadata["list"] as? [String] == ["a\nb"])
        #expect(metadata["nested"] as? [String: String] == ["k\n": "v"])
    }

    @Test func callSiteMetadataWinsOverTheLoggers() throws {
        let lines = Lines()
        var logger = logger(lines)
        logger[metadataKey: "backend"] = "from-logger"
        logger.info("x", metadata: ["backend": "from-call"])
        let metadata = try #require(try object(lines.all[0])["metadata"] as? [String: String])
        #expect(metadata == ["backend": "from-call"])
    }
}
