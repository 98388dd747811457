import HummingbirdCore
public import NIOCore
public import NIOHTTPTypes

/// Closes a connection whose request is not read in full within a deadline.
///
/// Hummingbird's idle timeout restarts with every part it reads, so a client that trickles a
/// body one byte a second would hold its connection (and a task, and the body's buffer) for as
/// long as it likes. This handler sits after the HTTP decoder: a request head starts the clock,
/// the request's end stops it, and if the clock runs out first the connection is closed. A slow
/// header is the idle timeout's job (no part is read until the head is complete).
///
/// Added per connection through `HTTP1Channel.Configuration.additionalChannelHandlers`; it runs
/// on the connection's event loop only, so its state needs no lock.
public final class RequestReadDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    /// Longest time from a request's head to its end.
    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    /// A handler that closes the connection `deadline` after a request head whose end has not come.
    public init(deadline: TimeAmount) {
        self.deadline = deadline
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: deadline) { loopBound.value.close(promise: nil) }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
