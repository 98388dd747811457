import EISCore
import EISTestSupport
@testable import EISServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// The reference share server's HTTP surface, through Hummingbird's in-memory router client.
@Suite struct ShareServerTests {
    /// Runs `body` against a share server over the demo model, with optional limits.
    func withServer<T: Sendable>(
        maxBodyBytes: Int = 64 << 20, limits: ShareLimits = ShareLimits(),
        _ body: @Sendable @escaping (any TestClientProtocol, ShareServer) async throws -> T
    ) async throws -> T {
        let configuration = ShareServerConfiguration(
            modelPath: demoModelPath, host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, limits: limits)
        let server = try ShareServer(configuration: configuration, logger: quietLogger)
        let app = Application(router: server.makeRouter(), logger: quietLogger)
        return try await app.test(.router) { client in try await body(client, server) }
    }

    /// The demo layer's weights encoded here, from the file, with fw = 26.
    static func expectedWeights() throws -> EncodedWeights {
        let layers = try LinearLayer.layers(in: SafetensorsFile(contentsOf: demoModelPath))
        return try EncodedWeights(try #require(layers["fc"]).weight, fractionBits: 26)
    }

    static func post(_ client: some TestClientProtocol, _ bytes: [UInt8]) async throws -> TestResponse {
        try await client.executeRequest(
            uri: ShareProtocol.path, method: .post,
            headers: [.contentType: ShareProtocol.contentType], body: ByteBuffer(bytes: bytes))
    }

    static func errorBody(_ response: TestResponse) throws -> ErrorBody {
        try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
    }

    /// A valid request for the demo layer.
    static func validRequest(rows: Int = 3, seed: UInt64 = 1) -> ShareRequest {
        ShareRequest(model: "demo", layer: "fc", inputFractionBits: 22, shares: randomShares(rows: rows, columns: 256, seed: seed))
    }

    /// Asserts that a valid request is answered with the exact product.
    static func expectValidRequestSucceeds(_ client: some TestClientProtocol) async throws {
        let request = validRequest(rows: 2, seed: 99)
        let response = try await post(client, request.encoded())
        #expect(response.status == .ok)
        let answer = try ShareResponse(decoding: Array(response.body.readableBytesView))
        #expect(answer.partials == referenceWrappingProduct(request.shares, byTransposeOf: try expectedWeights().matrix))
    }

    @Test(arguments: [1, 3, 8])
    func shareReturnsTheWrappingProductOfTheEncodedWeights(rows: Int) async throws {
        try await withServer { client, _ in
            let request = Self.validRequest(rows: rows, seed: UInt64(rows))
            let response = try await Self.post(client, request.encoded())
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == ShareProtocol.contentType)
            let answer = try ShareResponse(decoding: Array(response.body.readableBytesView))
            #expect(answer.arithmetic == .ring64)
            #expect(answer.partials.rows == rows)
            #expect(answer.partials.columns == 10)
            #expect(answer.partials == referenceWrappingProduct(request.shares, byTransposeOf: try Self.expectedWeights().matrix))
        }
    }

    @Test func aBatchLargeEnoughToLeaveTheCooperativePoolIsStillExact() async throws {
        // 450 × 256 × 10 multiply-adds exceed KernelRunner.inlineLimit (2^20).
        try await withServer { client, _ in
            let request = Self.validRequest(rows: 450, seed: 7)
            let response = try await Self.post(client, request.encoded())
            #expect(response.status == .ok)
            let answer = try ShareResponse(decoding: Array(response.body.readableBytesView))
            #expect(answer.partials == referenceWrappingProduct(request.shares, byTransposeOf: try Self.expectedWeights().matrix))
        }
    }

    /// A request the server must refuse, and how.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: @Sendable () -> [UInt8]
        var status: HTTPResponse.Status
        var code: String
        var testDescription: String { name }

        static func patched(_ offset: Int, _ value: UInt8) -> @Sendable () -> [UInt8] {
            { var bytes = ShareServerTests.validRequest().encoded(); bytes[offset] = value; return bytes }
        }

        static let all: [Refusal] = [
            Refusal(name: "garbage", bytes: { Array("this is not a share request at all".utf8) },
                    status: .badRequest, code: "malformed_message"),
            Refusal(name: "shorter than the header", bytes: { Array("EISQ".utf8) },
                    status: .badRequest, code: "malformed_message"),
            Refusal(name: "empty body", bytes: { [] }, status: .badRequest, code: "malformed_message"),
            Refusal(name: "truncated payload", bytes: { Array(ShareServerTests.validRequest().encoded().dropLast(8)) },
                    status: .badRequest, code: "malformed_message"),
            Refusal(name: "trailing bytes", bytes: { ShareServerTests.validRequest().encoded() + [0] },
                    status: .badRequest, code: "malformed_message"),
            Refusal(name: "zero rows", bytes: {
                var bytes = ShareServerTests.validRequest(rows: 1).encoded()
                bytes.replaceSubrange(8..<12, with: [0, 0, 0, 0])
                return Array(bytes.prefix(20 + 6))
            }, status: .badRequest, code: "malformed_message"),
            Refusal(name: "wrong version", bytes: patched(4, 2), status: .badRequest, code: "unsupported_version"),
            Refusal(name: "unknown arithmetic", bytes: patched(6, 9), status: .badRequest, code: "unsupported_arithmetic"),
            Refusal(name: "unknown model", bytes: {
                ShareRequest(model: "other", layer: "fc", inputFractionBits: 22, shares: randomShares(rows: 1, columns: 256, seed: 3)).encoded()
            }, status: .notFound, code: "unknown_model"),
            Refusal(name: "unknown layer", bytes: {
                ShareRequest(model: "demo", layer: "fc2", inputFractionBits: 22, shares: randomShares(rows: 1, columns: 256, seed: 3)).encoded()
            }, status: .notFound, code: "unknown_layer"),
            Refusal(name: "wrong width", bytes: {
                ShareRequest(model: "demo", layer: "fc", inputFractionBits: 22, shares: randomShares(rows: 2, columns: 255, seed: 3)).encoded()
            }, status: .badRequest, code: "wrong_width"),
            // The suite's server allows 4 rows (ShareLimits) and 64 KiB bodies.
            Refusal(name: "over the share limits", bytes: { ShareServerTests.validRequest(rows: 5).encoded() },
                    status: .contentTooLarge, code: "message_too_large"),
            Refusal(name: "over the announced limits before any payload", bytes: {
                var bytes = ShareServerTests.validRequest(rows: 1).encoded()
                bytes.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0x7F])
                return bytes
            }, status: .contentTooLarge, code: "message_too_large"),
            Refusal(name: "body over maxBodyBytes", bytes: { ShareServerTests.validRequest(rows: 40).encoded() },
                    status: .contentTooLarge, code: "body_too_large"),
        ]
    }

    @Test(arguments: Refusal.all)
    func refusesABadRequestWithStatusAndCodeAndKeepsServing(_ refusal: Refusal) async throws {
        try await withServer(maxBodyBytes: 64 << 10, limits: ShareLimits(maxRows: 4)) { client, _ in
            let response = try await Self.post(client, refusal.bytes())
            #expect(response.status == refusal.status)
            #expect(response.headers[.contentType] == "application/json")
            let body = try Self.errorBody(response)
            #expect(body.error.code == refusal.code)
            #expect(!body.error.message.isEmpty)
            try await Self.expectValidRequestSucceeds(client)
        }
    }

    @Test func modelMetadataDescribesTheEncodedWeights() async throws {
        try await withServer { client, _ in
            let response = try await client.executeRequest(uri: "/v1/models/demo", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            let data = Data(response.body.readableBytesView)
            let description = try JSONDecoder().decode(ModelDescription.self, from: data)
            let expected = try Self.expectedWeights()
            #expect(description == ModelDescription(name: "demo", protocolVersion: 1, layers: [
                .init(name: "fc", inputs: 256, outputs: 10, weightFractionBits: 26, arithmetics: ["ring64"], sha256: expected.digest),
            ]))
            // The wire names are part of the protocol, not just of the Swift type.
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(object["protocol_version"] as? Int == 1)
            let layer = try #require((object["layers"] as? [[String: Any]])?.first)
            #expect(layer["weight_frac_bits"] as? Int == 26)
            #expect(layer["sha256"] as? String == expected.digest)
            #expect(layer["inputs"] as? Int == 256)
            #expect(layer["outputs"] as? Int == 10)
        }
    }

    @Test func metadataForAnotherModelIs404() async throws {
        try await withServer { client, _ in
            let response = try await client.executeRequest(uri: "/v1/models/other", method: .get, headers: [:], body: nil)
            #expect(response.status == .notFound)
            #expect(try Self.errorBody(response).error.code == "unknown_model")
        }
    }

    @Test func healthzAnswersOK() async throws {
        try await withServer { client, _ in
            let response = try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: String]
            #expect(object == ["status": "ok"])
        }
    }

    @Test func metricsCountShareRequestsByModelAndCode() async throws {
        try await withServer { client, _ in
            let before = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(!String(buffer: before.body).contains("eis_server_requests_total{"))

            _ = try await Self.post(client, Self.validRequest().encoded())
            _ = try await Self.post(client, ShareRequest(
                model: "other", layer: "fc", inputFractionBits: 22, shares: randomShares(rows: 1, columns: 256, seed: 1)).encoded())
            let response = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            let lines = String(buffer: response.body).split(separator: "\n").filter { $0.hasPrefix("eis_server_requests_total{") }
            #expect(lines.contains { $0.contains(#"model="demo""#) && $0.contains(#"code="200""#) && $0.hasSuffix(" 1") })
            #expect(lines.contains { $0.contains(#"model="unknown""#) && $0.contains(#"code="404""#) && $0.hasSuffix(" 1") })
        }
    }

    @Test func metricsCountShareRequestsByTheirNumberOfRows() async throws {
        try await withServer { client, _ in
            for rows in [1, 8, 8, 3] { _ = try await Self.post(client, Self.validRequest(rows: rows).encoded()) }
            _ = try await Self.post(client, [1, 2, 3])
            let response = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            let lines = String(buffer: response.body).split(separator: "\n").filter { $0.hasPrefix("eis_server_requests_total{") }
            func count(rows: String, code: String) -> Bool {
                lines.contains { $0.contains(#"code="\#(code)""#) && $0.contains(#"rows="\#(rows)""#) }
            }
            #expect(lines.contains { $0.contains(#"code="200""#) && $0.contains(#"rows="8""#) && $0.hasSuffix(" 2") })
            #expect(count(rows: "1", code: "200"))
            #expect(count(rows: "3", code: "200"))
            #expect(count(rows: "unknown", code: "400"), "a body that does not decode has no row count: \(lines)")
        }
    }

    @Test func rowLabelsAreBoundedAboveTheLargestCountedSize() {
        #expect(ServerMetrics.rowsLabel(1024) == "1024")
        #expect(ServerMetrics.rowsLabel(1025) == "over_1024")
        #expect(ServerMetrics.rowsLabel(nil) == "unknown")
    }

    @Test func servesOverARealSocketAndReportsItsPort() async throws {
        let configuration = ShareServerConfiguration(modelPath: demoModelPath, host: "127.0.0.1", port: 0)
        let server = try ShareServer(configuration: configuration, logger: quietLogger)
        let reported = PortBox()
        let app = server.makeApplication { port in reported.set(port) }
        try await app.test(.live) { client in
            let request = Self.validRequest(rows: 2, seed: 5)
            let response = try await Self.post(client, request.encoded())
            #expect(response.status == .ok)
            let answer = try ShareResponse(decoding: Array(response.body.readableBytesView))
            #expect(answer.partials == referenceWrappingProduct(request.shares, byTransposeOf: try Self.expectedWeights().matrix))
            #expect(reported.value == client.port)
            #expect((reported.value ?? 0) > 0)
        }
    }
}

/// The port an `onListening` callback reported.
final class PortBox: Sendable {
    private let storage = LockedValue<Int?>(nil)
    var value: Int? { storage.get() }
    func set(_ port: Int) { storage.set(port) }
}

/// A tiny mutex-protected value.
final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func get() -> Value { mutex.withLock { $0 } }
    func set(_ value: Value) { mutex.withLock { $0 = value } }
}
