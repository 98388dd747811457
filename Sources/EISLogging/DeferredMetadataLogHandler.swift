public import Logging

/// A log handler that keeps logger metadata as a plain dictionary and hands it to `inner` only
/// when a line is actually logged.
///
/// Why: swift-log's `StreamLogHandler` renders its metadata into a string every time a metadata
/// key is set, and Hummingbird sets one (`hb.request.id`) on every request's logger. Rendering a
/// line nobody logs cost about 8% of `eis-server`'s CPU per request (perf, concurrency 1). Here
/// setting a key is a dictionary store; rendering happens only for lines at or above the level.
public struct DeferredMetadataLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner
    /// The logger's metadata; call-site metadata overrides it key by key.
    public var metadata: Logger.Metadata = [:]

    /// Wraps `inner`, which should carry no metadata of its own.
    public init(_ inner: Inner) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, callSite in callSite }
        }
        inner.log(event: event)
    }
}

extension DeferredMetadataLogHandler where Inner == StreamLogHandler {
    /// Lines at `level` and above to standard error, formatted by `StreamLogHandler`.
    public static func standardError(label: String, level: Logger.Level) -> Self {
        var handler = Self(StreamLogHandler.standardError(label: label))
        handler.logLevel = level
        return handler
    }
}
