import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An in-process Hummingbird server on 127.0.0.1 with the routes the transport tests need.
///
/// Use it only through `withTestServer`, which stops it when the test body returns or throws.
struct TestServer: Sendable {
    /// The port the server actually bound (it asks for port 0).
    let port: Int
    /// Counters the routes update, for assertions about what reached the server.
    let probe: ServerProbe

    /// An absolute URL for `path` (which starts with "/") on this server.
    func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }
}

/// Server-side observations (how many slow requests ran at the same time) and the switch that ends
/// slow handlers early so the server can shut down gracefully without waiting for them.
final class ServerProbe: Sendable {
    private let counts = Mutex((current: 0, peak: 0))
    private let released = Atomic<Bool>(false)

    /// The largest number of `/slow-echo` handlers that were running at once.
    var peakConcurrency: Int {
        counts.withLock { $0.peak }
    }

    /// Whether slow handlers should stop waiting and answer now.
    var isReleased: Bool {
        released.load(ordering: .relaxed)
    }

    func enter() {
        counts.withLock { counts in
            counts.current += 1
            counts.peak = max(counts.peak, counts.current)
        }
    }

    func leave() {
        counts.withLock { $0.current -= 1 }
    }

    /// Lets every slow handler answer at once (at the end of a test).
    func releaseSlowHandlers() {
        released.store(true, ordering: .relaxed)
    }
}

/// Runs `body` against a fresh server and stops the server afterwards, also when `body` throws.
@discardableResult
func withTestServer<T: Sendable>(_ body: (TestServer) async throws -> T) async throws -> T {
    let probe = ServerProbe()
    let router = makeRouter(probe: probe)
    var logger = Logger(label: "curl-transport-tests.server")
    logger.logLevel = .critical
    return try await withRunningApplication(
        { onListening in
            Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
                logger: logger
            )
        },
        logger: logger,
        beforeShutdown: { probe.releaseSlowHandlers() }
    ) { port in
        try await body(TestServer(port: port, probe: probe))
    }
}

/// Runs an application on a loopback port until `body` (given the port) returns or throws, then stops it.
///
/// The server is stopped gracefully, not by cancelling it: a cancelled Hummingbird server can crash
/// (NIOAsyncWriter deinit) when it accepts a connection that was still in the kernel's backlog, which
/// happens whenever a test gives up on a request (deadline, cancellation) before the server accepted it.
/// Graceful shutdown drains the backlog normally. A watchdog falls back to cancellation after 5 s.
///
/// - Parameters:
///   - makeApplication: builds the application, which must call the given function with its bound port.
///   - beforeShutdown: runs after `body`, before shutdown starts (to release handlers that wait).
func withRunningApplication<App: ApplicationProtocol, T: Sendable>(
    _ makeApplication: (_ onListening: @escaping @Sendable (Int) async -> Void) throws -> App,
    logger: Logger,
    beforeShutdown: () -> Void = {},
    _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let app = try makeApplication { port in portContinuation.yield(port) }
    let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask {
            // Ends the port stream if the server stops before reporting a port, so the test cannot hang.
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        let result: Result<T, any Error>
        if let port = await iterator.next(), port > 0 {
            do {
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
        } else {
            result = .failure(TestServerError.didNotStart)
        }
        beforeShutdown()
        await serviceGroup.triggerGracefulShutdown()
        group.addTask {
            try await Task.sleep(for: .seconds(5))
        }
        // Whichever ends first, the server or the watchdog, the other is cancelled.
        _ = try? await group.next()
        group.cancelAll()
        try? await group.waitForAll()
        return try result.get()
    }
}

/// Why the helper could not provide a server.
enum TestServerError: Error {
    case didNotStart
}

/// The routes: echo, slow, large (fixed length and chunked), 503, and header round trips.
private func makeRouter(probe: ServerProbe) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/hello") { _, _ in
        Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "hello")))
    }
    router.post("/echo") { request, _ in
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        return Response(status: .ok, body: .init(byteBuffer: body))
    }
    router.post("/slow-echo") { request, _ in
        probe.enter()
        defer { probe.leave() }
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        try await Task.sleep(for: .milliseconds(150))
        return Response(status: .ok, body: .init(byteBuffer: body))
    }
    router.get("/slow") { request, _ in
        let milliseconds = request.uri.queryParameters.get("ms", as: Int.self) ?? 3000
        let end = ContinuousClock.now + .milliseconds(milliseconds)
        // Sleeps in steps so the end of the test can cut it short (see `releaseSlowHandlers`).
        while ContinuousClock.now < end, !probe.isReleased {
            try await Task.sleep(for: .milliseconds(20))
        }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "late")))
    }
    router.get("/large") { request, _ in
        let count = request.uri.queryParameters.get("bytes", as: Int.self) ?? 0
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "a"), count: count)))
    }
    router.get("/large-chunked") { request, _ in
        // No Content-Length: the client cannot refuse up front and must stop while receiving.
        let count = request.uri.queryParameters.get("bytes", as: Int.self) ?? 0
        return Response(
            status: .ok,
            body: ResponseBody { writer in
                var remaining = count
                while remaining > 0 {
                    let piece = min(remaining, 4096)
                    try await writer.write(ByteBuffer(repeating: UInt8(ascii: "b"), count: piece))
                    remaining -= piece
                }
                try await writer.finish(nil)
            }
        )
    }
    router.get("/redirect") { _, _ in
        Response(status: .found, headers: [.location: "/hello"], body: .init())
    }
    router.get("/unavailable") { _, _ in
        Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "try later")))
    }
    router.get("/headers", use: reportHeaders)
    router.post("/headers", use: reportHeaders)
    return router
}

/// Reports what the client sent and adds mixed-case response headers.
@Sendable private func reportHeaders(_ request: Request, _: BasicRequestContext) async throws -> Response {
    var headers = HTTPFields()
    headers[.customHeader] = "value-1"
    headers[.echoProbe] = request.headers[.probe] ?? "<none>"
    headers[.sawAcceptEncoding] = request.headers[.acceptEncoding] ?? "<none>"
    headers[.sawExpect] = request.headers[.expect] ?? "<none>"
    headers[.sawUserAgent] = request.headers[.userAgent] ?? "<none>"
    headers[.sawContentType] = request.headers[.contentType] ?? "<none>"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "ok")))
}

/// Header names used by `/headers`; literals that are valid field names, so the force unwrap cannot fail.
extension HTTPField.Name {
    static let customHeader = Self("X-Custom-Header")!
    static let probe = Self("X-Probe")!
    static let echoProbe = Self("X-Echo-Probe")!
    static let sawAcceptEncoding = Self("X-Saw-Accept-Encoding")!
    static let sawExpect = Self("X-Saw-Expect")!
    static let sawUserAgent = Self("X-Saw-User-Agent")!
    static let sawContentType = Self("X-Saw-Content-Type")!
}
