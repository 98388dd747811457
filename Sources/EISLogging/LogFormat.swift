public import Logging

/// How the executables write their logs: swift-log's text lines, or one JSON object per line.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `StreamLogHandler`'s lines, for people reading a terminal.
    case text
    /// `JSONLogHandler`'s objects, for log shippers.
    case json

    /// The handler for `label` at `level`, writing to standard error; logger metadata stays a
    /// dictionary until a line is logged (`DeferredMetadataLogHandler`).
    public func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text:
            return DeferredMetadataLogHandler.standardError(label: label, level: level)
        case .json:
            var handler = JSONLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
