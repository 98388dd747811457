import CurlTransport
import EISCore
@testable import EISGateway
import EISServer
import Foundation
import Hummingbird
import Logging
#if canImport(Glibc)
import Glibc
import EISTestSupport
import eis_gateway
#endif

// In-process share servers and gateways for the route and pipeline tests. Everything started
// here is stopped by the `with…` function that started it, also when the test body throws.

/// Fixed paths and small helpers shared by the in-process gateway tests.
enum Fixtures {
    /// The package root, from this file's path (Tests/EISGatewayTests/TestSupport/InProcessServers.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped demo model: `nn.Linear(256, 10)`, layer `fc`, F32, with bias.
    static let demoModelPath = packageRoot.appendingPathComponent("models/demo.safetensors").path

    /// The shipped gateway.conf.
    static let shippedConfigPath = packageRoot.appendingPathComponent("gateway.conf").path

    /// A logger that keeps test output quiet.
    static let logger: Logger = {
        var logger = Logger(label: "eis-gateway-tests")
        logger.logLevel = .critical
        return logger
    }()

    /// The demo layer read with EISCore's reader: the reference for expected answers.
    static func demoLayer() throws -> LinearLayer {
        let layers = try LinearLayer.layers(in: SafetensorsFile(contentsOf: demoModelPath))
        guard let layer = layers["fc"] else { throw FixtureError("demo model has no layer fc") }
        return layer
    }

    /// `W·x + b` in Double, with plain loops.
    static func reference(_ layer: LinearLayer, _ x: [Double]) -> [Double] {
        (0..<layer.outputs).map { o in
            var sum = layer.bias?[o] ?? 0
            for j in 0..<layer.inputs { sum += layer.weight[o, j] * x[j] }
            return sum
        }
    }

    /// A reproducible input row with values in `-scale..<scale`.
    static func randomRow(count: Int = 256, scale: Double = 1, seed: UInt64) -> [Double] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Double.random(in: -scale..<scale, using: &generator) }
    }

    /// Runs `body` with a fresh temporary directory, removed afterwards.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("eis-gateway-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    /// Writes an F32 `nn.Linear` safetensors file (`<layer>.weight` [out, in] and `<layer>.bias`).
    @discardableResult
    static func writeLinearModel(
        to url: URL, layer: String = "fc", outputs: Int, inputs: Int, seed: UInt64, scale: Float = 0.0625
    ) throws -> String {
        var generator = SplitMix64(seed: seed)
        let weight = (0..<(outputs * inputs)).map { _ in Float.random(in: -scale..<scale, using: &generator) }
        let bias = (0..<outputs).map { _ in Float.random(in: -scale..<scale, using: &generator) }
        return try writeSafetensors([
            (name: "\(layer).weight", shape: [outputs, inputs], values: weight),
            (name: "\(layer).bias", shape: [outputs], values: bias),
        ], to: url)
    }

    /// Writes F32 tensors in the safetensors layout and returns the path.
    @discardableResult
    static func writeSafetensors(_ tensors: [(name: String, shape: [Int], values: [Float])], to url: URL) throws -> String {
        try SafetensorsWriter.write(tensors.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }, to: url)
    }

    /// A gateway configuration for the demo model with one backend per URL, each in its own
    /// trust domain, listening on 127.0.0.1 port 0.
    static func gatewayConfiguration(
        backendURLs: [String], shares: Int = 2, modelPath: String = demoModelPath
    ) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.listenHost = "127.0.0.1"
        configuration.listenPort = 0
        // A loaded 2-core test machine can take over a second to answer; only tests about
        // timeouts should see one, and they set their own.
        configuration.backendTimeout = configuration.requestTimeout
        var model = ModelConfiguration(name: "demo", path: modelPath)
        model.layer = "fc"
        model.shares = shares
        model.backends = backendURLs.enumerated().map { index, url in
            BackendConfiguration(name: "backend-\(index)", trustDomain: "domain-\(index)", url: url)
        }
        configuration.models = [model]
        return configuration
    }
}

/// A test setup failure.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}


/// One in-process share server to start: which file, under which model name.
struct ShareServerSpec: Sendable {
    var modelPath: String = Fixtures.demoModelPath
    var modelName: String = "demo"
    var weightFractionBits: Int = Defaults.weightFractionBits
    /// HTTPS settings; nil serves plain HTTP.
    var tls: ShareServerTLS? = nil
}

/// Share servers running in this process, each on its own 127.0.0.1 port.
final class InProcessServers: Sendable {
    /// The bound ports, in spec order.
    let ports: [Int]
    /// The servers (for their metrics), in spec order.
    let servers: [ShareServer]
    private let stopRequests: [AsyncStream<Void>.Continuation]
    private let stopped: [AsyncStream<Void>]

    fileprivate init(ports: [Int], servers: [ShareServer], stopRequests: [AsyncStream<Void>.Continuation], stopped: [AsyncStream<Void>]) {
        self.ports = ports
        self.servers = servers
        self.stopRequests = stopRequests
        self.stopped = stopped
    }

    /// Base URLs (`http://127.0.0.1:PORT`, or `https://` for a server with TLS), in spec order.
    var urls: [String] {
        zip(ports, servers).map { port, server in "\(server.configuration.tls == nil ? "http" : "https")://127.0.0.1:\(port)" }
    }

    /// Stops server `index` and returns once it no longer runs.
    func stop(_ index: Int) async {
        stopRequests[index].yield()
        stopRequests[index].finish()
        for await _ in stopped[index] { break }
    }
}

/// Runs `body` with one in-process `ShareServer` per spec; every server is stopped when `body`
/// returns or throws.
func withShareServers<T: Sendable>(
    _ specs: [ShareServerSpec], _ body: @Sendable (InProcessServers) async throws -> T
) async throws -> T {
    let servers = try specs.map { spec in
        try ShareServer(
            configuration: ShareServerConfiguration(
                modelPath: spec.modelPath, modelName: spec.modelName, host: "127.0.0.1", port: 0,
                weightFractionBits: spec.weightFractionBits, tls: spec.tls),
            logger: Fixtures.logger)
    }
    let portStreams = servers.map { _ in AsyncStream<Int>.makeStream() }
    let stopStreams = servers.map { _ in AsyncStream<Void>.makeStream() }
    let stoppedStreams = servers.map { _ in AsyncStream<Void>.makeStream() }
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        for (index, server) in servers.enumerated() {
            let portContinuation = portStreams[index].continuation
            let stopRequest = stopStreams[index].stream
            let stoppedContinuation = stoppedStreams[index].continuation
            let app = server.makeApplication { port in portContinuation.yield(port) }
            group.addTask {
                defer {
                    portContinuation.finish()
                    stoppedContinuation.yield()
                    stoppedContinuation.finish()
                }
                // Runs until `stop(index)` or until the whole group is cancelled.
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { try await app.run() }
                    inner.addTask { for await _ in stopRequest { break } }
                    defer { inner.cancelAll() }
                    _ = try await inner.next()
                }
            }
        }
        defer {
            for stop in stopStreams { stop.continuation.finish() }
            group.cancelAll()
        }
        var ports = [Int]()
        for stream in portStreams {
            var iterator = stream.stream.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw FixtureError("a share server did not start") }
            ports.append(port)
        }
        let running = InProcessServers(
            ports: ports, servers: servers, stopRequests: stopStreams.map(\.continuation), stopped: stoppedStreams.map(\.stream))
        return try await body(running)
    }
}

/// Runs `body` with a gateway built from `configuration` (and a libcurl client it owns, shut down
/// afterwards). With `verify`, backends are verified first, as `eis-gateway` does at start-up.
///
/// - Parameters:
///   - client: settings of the gateway's libcurl client (a low `maxResponseBytes`, say).
///   - logger: where the gateway logs (a `RecordingLogHandler` to check what it says).
///   - environment: where `auth_env` secrets are read from (default: the process's).
func withGateway<T: Sendable>(
    _ configuration: GatewayConfiguration, verify: Bool = true, client clientConfiguration: CurlHTTPClient.Configuration = .init(),
    logger: Logger = Fixtures.logger, environment: [String: String]? = nil, _ body: @Sendable (Gateway) async throws -> T
) async throws -> T {
    let client = CurlHTTPClient(configuration: clientConfiguration)
    defer { client.shutdown() }
    let gateway = try Gateway(configuration: configuration, registry: .standard, client: client, logger: logger, environment: environment)
    if verify { await gateway.verifyBackends(timeout: .seconds(5)) }
    return try await body(gateway)
}

/// Runs `body` with `count` demo share servers and a gateway over them.
func withDemoDeployment<T: Sendable>(
    servers count: Int = 2, shares: Int = 2, verify: Bool = true,
    configure: @Sendable (inout GatewayConfiguration) -> Void = { _ in },
    _ body: @Sendable (InProcessServers, Gateway) async throws -> T
) async throws -> T {
    try await withShareServers(Array(repeating: ShareServerSpec(), count: count)) { servers in
        var configuration = Fixtures.gatewayConfiguration(backendURLs: servers.urls, shares: shares)
        configure(&configuration)
        return try await withGateway(configuration, verify: verify) { gateway in try await body(servers, gateway) }
    }
}

/// Runs an application (gateway or share server) on a real socket until `body` returns.
func withRunningApplication<App: ApplicationProtocol, T: Sendable>(
    _ makeApp: (@escaping @Sendable (Int) async -> Void) -> App, _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = makeApp { port in continuation.yield(port) }
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await app.run()
        }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw FixtureError("the application did not start") }
        return try await body(port)
    }
}

/// A loopback TCP socket that listens but never accepts or reads: connections complete (the
/// kernel queues them) and requests are sent, but no answer ever comes.
final class SilentListener: Sendable {
    /// The bound port.
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0, listen(descriptor, 16) == 0 else {
            _ = Glibc.close(descriptor)
            throw FixtureError("cannot bind and listen on 127.0.0.1")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket.
    func close() {
        _ = Glibc.close(descriptor)
    }

    var url: String { "http://127.0.0.1:\(port)" }
}

/// Runs `body` with a silent listener, closed afterwards.
func withSilentListener<T: Sendable>(_ body: (SilentListener) async throws -> T) async throws -> T {
    let listener = try SilentListener()
    defer { listener.close() }
    return try await body(listener)
}
