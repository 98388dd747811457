import EISCore
@testable import EISGateway
import Foundation
import HummingbirdTesting
import NIOCore
import Testing
import EISServer
import HTTPTypes
import Prometheus

/// Batching behind the HTTP front, with in-process share servers: bad requests are refused
/// before batching, and requests for different models are never batched together.
@Suite(.serialized)
struct GatewayBatchingRoutesTests {
    /// A status and a body, from one concurrent request.
    struct Reply: Sendable {
        var status: Int
        var body: Data
    }

    /// Sends every body concurrently through the gateway's router.
    static func burst(_ gateway: Gateway, _ bodies: [String]) async throws -> [Reply] {
        try await GatewayRoutesTests.withClient(gateway) { client in
            try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
                for (index, body) in bodies.enumerated() {
                    group.addTask {
                        let response = try await GatewayRoutesTests.infer(client, body)
                        return (index, Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView)))
                    }
                }
                var replies = [Reply?](repeating: nil, count: bodies.count)
                for try await (index, reply) in group { replies[index] = reply }
                return replies.compactMap { $0 }
            }
        }
    }

    @Test func aBadRequestInABurstGetsItsOwn400AndTheOthersSucceed() async throws {
        let layer = try Fixtures.demoLayer()
        let good = (0..<10).map { index in (0..<(1 + index % 4)).map { Fixtures.randomRow(seed: 500 + UInt64(10 * index + $0)) } }
        var bodies = good.map { rows in #"{"inputs":[\#(rows.map(GatewayRoutesTests.jsonArray).joined(separator: ","))]}"# }
        var values = Fixtures.randomRow(seed: 1).map { "\($0)" }
        values[3] = "1e999"
        let bad: [(body: String, code: String)] = [
            (#"{"input":[1,2,3]}"#, "wrong_length"),
            (#"{"input":[\#(values.joined(separator: ","))]}"#, "not_finite"),
            (#"{"input":\#(GatewayRoutesTests.jsonArray(Array(repeating: 1e9, count: 256)))}"#, "out_of_range"),
        ]
        // The bad ones in the middle of the burst.
        bodies.insert(contentsOf: bad.map(\.body), at: 5)
        let burst = bodies
        try await withDemoDeployment(configure: { $0.batching.maxDelay = .milliseconds(20) }) { _, gateway in
            let replies = try await Self.burst(gateway, burst)
            for (offset, expected) in bad.enumerated() {
                let reply = replies[5 + offset]
                #expect(reply.status == 400)
                #expect((try? JSONDecoder().decode(ErrorBody.self, from: reply.body))?.error.code == expected.code)
            }
            let goodReplies = Array(replies[..<5]) + Array(replies[(5 + bad.count)...])
            for (reply, rows) in zip(goodReplies, good) {
                #expect(reply.status == 200)
                let outputs = try #require(try JSONDecoder().decode(GatewayRoutesTests.Answer.self, from: reply.body).outputs)
                #expect(outputs.count == rows.count, "its own rows, no padding")
                for (output, row) in zip(outputs, rows) { GatewayRoutesTests.expectClose(output, Fixtures.reference(layer, row)) }
            }
        }
    }

    @Test func concurrentRequestsForTwoModelsAreEachAnsweredByTheirOwnModel() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let otherPath = try Fixtures.writeLinearModel(to: directory.appendingPathComponent("other.safetensors"), outputs: 10, inputs: 256, seed: 6)
            let otherLayer = try #require(try LinearLayer.layers(in: SafetensorsFile(contentsOf: otherPath))["fc"])
            let layer = try Fixtures.demoLayer()
            let specs = [ShareServerSpec(), ShareServerSpec(), ShareServerSpec(modelPath: otherPath, modelName: "other"),
                         ShareServerSpec(modelPath: otherPath, modelName: "other")]
            try await withShareServers(specs) { servers in
                var configuration = Fixtures.gatewayConfiguration(backendURLs: Array(servers.urls[..<2]))
                configuration.batching.maxDelay = .milliseconds(20)
                var other = ModelConfiguration(name: "other", path: otherPath)
                other.layer = "fc"
                other.backends = [BackendConfiguration(name: "other-0", trustDomain: "domain-2", url: servers.urls[2]),
                                  BackendConfiguration(name: "other-1", trustDomain: "domain-3", url: servers.urls[3])]
                configuration.models.append(other)
                try await withGateway(configuration) { gateway in
                    #expect(Set(gateway.batchers.keys) == ["demo", "other"])
                    let rows = (0..<16).map { Fixtures.randomRow(seed: 700 + UInt64($0)) }
                    let bodies = rows.enumerated().map { index, row in
                        #"{"model":"\#(index.isMultiple(of: 2) ? "demo" : "other")","input":\#(GatewayRoutesTests.jsonArray(row))}"#
                    }
                    let replies = try await Self.burst(gateway, bodies)
                    for (index, reply) in replies.enumerated() {
                        #expect(reply.status == 200)
                        let answer = try JSONDecoder().decode(GatewayRoutesTests.Answer.self, from: reply.body)
                        #expect(answer.model == (index.isMultiple(of: 2) ? "demo" : "other"))
                        let reference = index.isMultiple(of: 2) ? layer : otherLayer
                        GatewayRoutesTests.expectClose(try #require(answer.output), Fixtures.reference(reference, rows[index]))
                    }
                }
                // Each server was only ever asked for its own model, always successfully.
                for (index, server) in servers.servers.enumerated() {
                    let lines = server.metrics.registry.emitToString().split(separator: "\n").filter { $0.hasPrefix("eis_server_requests_total{") }
                    #expect(!lines.isEmpty)
                    #expect(lines.allSatisfy { $0.contains(#"model="\#(index < 2 ? "demo" : "other")""#) && $0.contains(#"code="200""#) }, "\(lines)")
                }
            }
        }
    }
}
