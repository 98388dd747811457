import EISCore
import EISServer
import Foundation
import Hummingbird
import Logging
import Testing
@testable import EISGateway

/// Slow clients (issue 12, item 5), against a live `eis-gateway` application and a live
/// `eis-server` application: a body trickled one byte a second, a header trickled the same way,
/// and one connection more than the cap.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SlowClientTests {
    /// Which server a test runs against.
    enum Target: String, CaseIterable, Sendable {
        case gateway, server
    }

    static let idle = 1.5
    static let body = 2.0

    /// Runs `body` with the target listening on a free port, with short timeouts and `maxConnections`.
    static func withTarget(_ target: Target, maxConnections: Int = 64, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        switch target {
        case .gateway:
            try await withDemoDeployment(configure: {
                $0.idleTimeout = .milliseconds(Int(idle * 1000))
                $0.bodyTimeout = .milliseconds(Int(Self.body * 1000))
                $0.maxConnections = maxConnections
            }) { _, gateway in
                try await withRunningApplication({ gateway.makeApplication(onListening: $0) }) { port in try await body(port) }
            }
        case .server:
            var configuration = ShareServerConfiguration(modelPath: Fixtures.demoModelPath, port: 0)
            configuration.idleTimeout = .milliseconds(Int(idle * 1000))
            configuration.bodyTimeout = .milliseconds(Int(Self.body * 1000))
            configuration.maxConnections = maxConnections
            let server = try ShareServer(configuration: configuration, logger: Fixtures.logger)
            try await withRunningApplication({ server.makeApplication(onListening: $0) }) { port in try await body(port) }
        }
    }

    static func path(_ target: Target) -> String { target == .gateway ? "/infer" : "/v1/share" }

    @Test(arguments: Target.allCases)
    func aBodyTrickledOneByteASecondIsCutOff(target: Target) async throws {
        try await Self.withTarget(target) { port in
            let head = "POST \(Self.path(target)) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
            let outcome = await RawClient.trickle(port: port, prefix: head, trickle: String(repeating: "1", count: 200), limit: 12)
            let closed = try #require(outcome.closedAfter, "the connection stayed open for 12 s of trickling")
            // The body deadline, plus a second for the byte in flight and scheduling on a loaded machine.
            #expect(closed <= Self.body + 1.5, "closed after \(closed) s")
            #expect(closed >= Self.body - 0.2, "closed after \(closed) s, before the body deadline")
        }
    }

    @Test(arguments: Target.allCases)
    func aHeaderTrickledOneByteASecondIsCutOff(target: Target) async throws {
        try await Self.withTarget(target) { port in
            let outcome = await RawClient.trickle(port: port, prefix: "GET /healthz HTTP/1.1\r\nX-Slow: ", trickle: String(repeating: "a", count: 100), limit: 12)
            let closed = try #require(outcome.closedAfter, "the connection stayed open for 12 s of trickling")
            #expect(closed <= Self.idle + 1.5, "closed after \(closed) s")
        }
    }

    @Test(arguments: Target.allCases)
    func oneConnectionOverTheCapGetsAClearError(target: Target) async throws {
        try await Self.withTarget(target, maxConnections: 2) { port in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Two connections that send a request head and trickle its body, holding their slots.
                for _ in 0..<2 {
                    group.addTask {
                        let head = "POST \(Self.path(target)) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
                        _ = await RawClient.trickle(port: port, prefix: head, trickle: "", limit: 1.5)
                    }
                }
                try await Task.sleep(for: .milliseconds(500))
                let refused = await RawClient.exchange(port: port, request: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", limit: 5)
                #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(100))")
                #expect(refused.contains("too_many_connections"))
                try await group.waitForAll()
            }
            // Once they are gone, connections are served again.
            try await Task.sleep(for: .milliseconds(300))
            let served = await RawClient.exchange(port: port, request: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", limit: 5)
            #expect(served.hasPrefix("HTTP/1.1 200"), "\(served.prefix(100))")
        }
    }
}
