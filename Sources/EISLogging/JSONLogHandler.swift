import Foundation
public import Logging
import Synchronization

/// A log handler that writes one JSON object per line, for log shippers (Vector, Fluent Bit,
/// Loki's promtail, CloudWatch): `timestamp` (RFC 3339, UTC, milliseconds), `level`, `label`,
/// `message`, and `metadata` as a JSON object (strings, lists and nested objects as they are).
///
/// A line is written with one `write(2)`-sized call under a lock, so lines from concurrent tasks
/// never interleave. Like every handler the executables use, it sees only what the code logs:
/// inputs, outputs, shares and secrets are never logged (docs/ARCHITECTURE.md, invariant 3).
public struct JSONLogHandler: LogHandler {
    /// Where lines go.
    public typealias Sink = @Sendable ([UInt8]) -> Void

    private let label: String
    private let sink: Sink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label` writing each line to `sink`.
    public init(label: String, sink: @escaping Sink) {
        self.label = label
        self.sink = sink
    }

    /// A handler for `label` writing to standard error.
    public static func standardError(label: String) -> Self {
        Self(label: label, sink: StandardErrorSink.write)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let callSite = event.metadata { merged.merge(callSite) { _, new in new } }
        var line = "{\"timestamp\":"
        Self.appendString(Self.timestamp(Date()), to: &line)
        line += ",\"level\":"
        Self.appendString(event.level.rawValue, to: &line)
        line += ",\"label\":"
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString(event.message.description, to: &line)
        if !merged.isEmpty {
            line += ",\"metadata\":"
            Self.appendValue(.dictionary(merged), to: &line)
        }
        line += "}\n"
        sink(Array(line.utf8))
    }

    /// `date` as RFC 3339 in UTC with milliseconds, e.g. `2026-12-07T05:15:34.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A metadata value as JSON: strings and string-convertibles as strings, lists as arrays,
    /// dictionaries as objects with their keys sorted (so lines are stable to compare).
    static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(entries[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and every control character escaped, so a
    /// message can never break its line or forge another.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x2028...0x2029).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// Standard error, one whole line per write, under a lock shared by every handler.
enum StandardErrorSink {
    private static let lock = Mutex(())

    /// Writes `bytes` to standard error in one call.
    @Sendable static func write(_ bytes: [UInt8]) {
        lock.withLock { _ in
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}
