import HTTPTypes
import HummingbirdCore
public import Logging
public import NIOCore
public import NIOHTTPTypes
import Synchronization

/// Caps the connections one server holds open at a time.
///
/// Every connection counts from accept to close. One past the cap gets, for its first request,
/// `503` with the JSON error `too_many_connections` and `Connection: close`, and is closed; the
/// application never sees the request. (Hummingbird's own `MaximumAvailableConnections` stops
/// accepting instead, which leaves a client waiting in the listen backlog with no answer.)
///
/// Added per connection through `HTTP1Channel.Configuration.additionalChannelHandlers`, with one
/// shared `Counter`; the handler's own state is touched on its event loop only.
public final class ConnectionLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// The open connections of one server, shared by all its handlers.
    public final class Counter: Sendable {
        /// Most connections served at once.
        public let limit: Int
        /// Where a refused connection is logged.
        public let logger: Logger
        // Atomic: handlers on every event loop update it.
        private let open = Atomic<Int>(0)

        /// A count of zero open connections, refusing past `limit`.
        public init(limit: Int, logger: Logger) {
            self.limit = limit
            self.logger = logger
        }

        /// Counts a new connection; false when it is one too many.
        func admit() -> Bool {
            open.wrappingAdd(1, ordering: .relaxed).newValue <= limit
        }

        /// Forgets a closed connection.
        func release() {
            open.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    private let counter: Counter
    private var counted = false
    private var refused = false

    /// A handler for one connection, counted in `counter`.
    public init(counter: Counter) {
        self.counter = counter
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        refused = !counter.admit()
        if refused {
            counter.logger.warning("connection refused: the server already holds its maximum of open connections", metadata: ["max_connections": "\(counter.limit)"])
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        if counted { counter.release() }
        counted = false
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard refused else {
            context.fireChannelRead(data)
            return
        }
        guard case .head = unwrapInboundIn(data) else { return }
        let body = #"{"error":{"code":"too_many_connections","message":"the server holds its maximum of \#(counter.limit) open connections; retry later"}}"#
        let head = HTTPResponse(status: .serviceUnavailable, headerFields: [
            .contentType: "application/json", .connection: "close", .retryAfter: "1", .contentLength: "\(body.utf8.count)",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
