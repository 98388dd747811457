import CurlTransport
import EISCore
@testable import EISGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// The gateway's HTTP routes in front of in-process share servers on 127.0.0.1.
@Suite(.serialized)
struct GatewayRoutesTests {
    // MARK: Helpers

    /// Runs `body` with Hummingbird's in-memory client on the gateway's router.
    static func withClient<T: Sendable>(
        _ gateway: Gateway, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let app = Application(router: gateway.makeRouter(), logger: Fixtures.logger)
        return try await app.test(.router) { client in try await body(client) }
    }

    static func infer(_ client: some TestClientProtocol, _ json: String) async throws -> TestResponse {
        try await client.executeRequest(
            uri: "/infer", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json))
    }

    static func get(_ client: some TestClientProtocol, _ path: String) async throws -> TestResponse {
        try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
    }

    /// `[v0,v1,…]` with Swift's round-tripping number spelling (valid JSON for finite values).
    static func jsonArray(_ values: [Double]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
    }

    static func errorBody(_ response: TestResponse) throws -> ErrorBody {
        try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
    }

    struct Answer: Decodable {
        var model: String
        var output: [Double]?
        var outputs: [[Double]]?
    }

    struct Health: Decodable {
        struct Model: Decodable {
            var name: String
            var servable: Bool
            var shares: Int
            var backends: [Backend]
        }
        struct Backend: Decodable {
            var name: String
            var url: String
            var trust_domain: String
            var status: String
            var reason: String?
        }
        var status: String
        var models: [Model]
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(response.body.readableBytesView))
    }

    /// Expects every value within 1e-6 of the Double reference.
    static func expectClose(_ actual: [Double], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-6, "largest error \(worst)", sourceLocation: sourceLocation)
    }

    /// A valid single-input request succeeds with the right answer.
    static func expectValidRequestSucceeds(_ client: some TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let x = Fixtures.randomRow(seed: 1234)
        let response = try await infer(client, #"{"input":\#(jsonArray(x))}"#)
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        guard response.status == .ok else { return }
        let answer = try decode(Answer.self, response)
        expectClose(answer.output ?? [], Fixtures.reference(try Fixtures.demoLayer(), x), sourceLocation: sourceLocation)
    }

    // MARK: Answers

    @Test func singleInputIsAnsweredWithWxPlusB() async throws {
        let layer = try Fixtures.demoLayer()
        try await withDemoDeployment { _, gateway in
            try await Self.withClient(gateway) { client in
                for seed: UInt64 in [1, 2, 3] {
                    let x = Fixtures.randomRow(scale: 4, seed: seed)
                    let response = try await Self.infer(client, #"{"input":\#(Self.jsonArray(x))}"#)
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    let answer = try Self.decode(Answer.self, response)
                    #expect(answer.model == "demo")
                    #expect(answer.outputs == nil)
                    Self.expectClose(try #require(answer.output), Fixtures.reference(layer, x))
                }
            }
        }
    }

    @Test func batchInputsAreAnsweredRowByRow() async throws {
        let layer = try Fixtures.demoLayer()
        try await withDemoDeployment { _, gateway in
            try await Self.withClient(gateway) { client in
                let rows = (0..<5).map { Fixtures.randomRow(scale: 2, seed: 100 + UInt64($0)) }
                let response = try await Self.infer(client, #"{"model":"demo","inputs":[\#(rows.map(Self.jsonArray).joined(separator: ","))]}"#)
                #expect(response.status == .ok)
                let answer = try Self.decode(Answer.self, response)
                #expect(answer.output == nil)
                let outputs = try #require(answer.outputs)
                #expect(outputs.count == rows.count)
                for (output, row) in zip(outputs, rows) { Self.expectClose(output, Fixtures.reference(layer, row)) }
            }
        }
    }

    // MARK: Bad input

    /// A request the gateway must refuse, and how.
    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var body: @Sendable () -> String
        var status: HTTPResponse.Status
        var code: String
        /// Text that must not appear in the error message (an input value).
        var secret: String?
        var testDescription: String { name }

        static func row(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
        static func validRow() -> [String] { Fixtures.randomRow(seed: 9).map { "\($0)" } }
        static func rowWith(_ token: String, at index: Int) -> String {
            var values = validRow()
            values[index] = token
            return row(values)
        }

        /// The suite's gateway allows 8 rows and 64 KiB bodies.
        static let all: [BadInput] = [
            BadInput(name: "malformed JSON", body: { #"{"input": [1, 2"# }, status: .badRequest, code: "malformed_json"),
            BadInput(name: "not JSON", body: { "input=1,2,3" }, status: .badRequest, code: "malformed_json"),
            BadInput(name: "empty body", body: { "" }, status: .badRequest, code: "malformed_json"),
            BadInput(name: "row too short", body: { #"{"input":\#(row(Array(validRow().dropLast())))}"# },
                     status: .badRequest, code: "wrong_length"),
            BadInput(name: "row too long", body: { #"{"input":\#(row(validRow() + ["0.5"]))}"# },
                     status: .badRequest, code: "wrong_length"),
            BadInput(name: "empty row", body: { #"{"input":[]}"# }, status: .badRequest, code: "wrong_length"),
            BadInput(name: "one short row in a batch", body: { #"{"inputs":[\#(row(validRow())),[1,2,3]]}"# },
                     status: .badRequest, code: "wrong_length"),
            BadInput(name: "a string value", body: { #"{"input":\#(rowWith(#""seven""#, at: 7))}"# },
                     status: .badRequest, code: "invalid_value"),
            BadInput(name: "a null value", body: { #"{"input":\#(rowWith("null", at: 0))}"# },
                     status: .badRequest, code: "invalid_value"),
            BadInput(name: "a boolean value", body: { #"{"inputs":[\#(rowWith("true", at: 255))]}"# },
                     status: .badRequest, code: "invalid_value"),
            // A number too large for a Double.
            BadInput(name: "1e999", body: { #"{"input":\#(rowWith("1e999", at: 3))}"# },
                     status: .badRequest, code: "not_finite"),
            BadInput(name: "-1e999", body: { #"{"input":\#(rowWith("-1e999", at: 3))}"# },
                     status: .badRequest, code: "not_finite"),
            BadInput(name: "a value beyond the fixed-point range", body: { #"{"input":\#(rowWith("3141592653589.0", at: 5))}"# },
                     status: .badRequest, code: "out_of_range", secret: "3141592653589"),
            BadInput(name: "1e9 in every position", body: { #"{"input":\#(row(Array(repeating: "1000000000.0", count: 256)))}"# },
                     status: .badRequest, code: "out_of_range", secret: "1000000000"),
            BadInput(name: "unknown model", body: { #"{"model":"nope","input":\#(row(validRow()))}"# },
                     status: .notFound, code: "unknown_model"),
            BadInput(name: "no input", body: { "{}" }, status: .badRequest, code: "missing_input"),
            BadInput(name: "no rows", body: { #"{"inputs":[]}"# }, status: .badRequest, code: "missing_input"),
            BadInput(name: "both input and inputs", body: { #"{"input":\#(row(validRow())),"inputs":[\#(row(validRow()))]}"# },
                     status: .badRequest, code: "missing_input"),
            BadInput(name: "body over max_body_bytes", body: { #"{"input":\#(row(validRow()))"# + String(repeating: " ", count: 70_000) + "}" },
                     status: .contentTooLarge, code: "body_too_large"),
            BadInput(name: "rows over max_rows_per_request", body: {
                #"{"inputs":[\#(Array(repeating: row(validRow()), count: 9).joined(separator: ","))]}"#
            }, status: .badRequest, code: "too_many_rows"),
        ]
    }

    @Test(arguments: BadInput.all)
    func badInputIsRefusedWithStatusAndCodeAndTheGatewayKeepsServing(_ bad: BadInput) async throws {
        try await withDemoDeployment(configure: { configuration in
            configuration.maxBodyBytes = 64 << 10
            configuration.maxRowsPerRequest = 8
        }) { _, gateway in
            try await Self.withClient(gateway) { client in
                let response = try await Self.infer(client, bad.body())
                #expect(response.status == bad.status)
                #expect(response.headers[.contentType] == "application/json")
                let error = try Self.errorBody(response)
                #expect(error.error.code == bad.code)
                #expect(!error.error.message.isEmpty)
                if let secret = bad.secret { #expect(!error.error.message.contains(secret)) }
                try await Self.expectValidRequestSucceeds(client)
            }
        }
    }

    @Test func aBodyOfExactlyMaxBodyBytesIsAccepted() async throws {
        try await withDemoDeployment(configure: { $0.maxBodyBytes = 8192 }) { _, gateway in
            try await Self.withClient(gateway) { client in
                let json = #"{"input":\#(Self.jsonArray(Array(repeating: 0.25, count: 256)))}"#
                let padded = json.dropLast() + String(repeating: " ", count: 8192 - json.utf8.count) + "}"
                #expect(padded.utf8.count == 8192)
                let atLimit = try await Self.infer(client, String(padded))
                #expect(atLimit.status == .ok)
                let overLimit = try await Self.infer(client, String(padded) + " ")
                #expect(overLimit.status == .contentTooLarge)
            }
        }
    }

    @Test func exactlyMaxRowsPerRequestIsAccepted() async throws {
        try await withDemoDeployment(configure: { $0.maxRowsPerRequest = 3 }) { _, gateway in
            try await Self.withClient(gateway) { client in
                let rows = Array(repeating: Self.jsonArray(Fixtures.randomRow(seed: 5)), count: 3).joined(separator: ",")
                let response = try await Self.infer(client, #"{"inputs":[\#(rows)]}"#)
                #expect(response.status == .ok)
                #expect(try Self.decode(Answer.self, response).outputs?.count == 3)
            }
        }
    }

    @Test func aJSONBodyOfTheWrongShapeIsMalformedJSON() async throws {
        // Valid JSON that is not an object: the message "expected a number" with an empty path
        // would be wrong, the body is simply not of the form {"input": [...]}.
        try await withDemoDeployment { _, gateway in
            try await Self.withClient(gateway) { client in
                for body in ["[1,2,3]", #""input""#, "42"] {
                    let response = try await Self.infer(client, body)
                    #expect(response.status == .badRequest)
                    let code = try Self.errorBody(response).error.code
                    #expect(code == "malformed_json", "body \(body)")
                }
            }
        }
    }

    // MARK: Backends failing

    @Test func aStoppedBackendGives503WithRetryAfter() async throws {
        try await withDemoDeployment { servers, gateway in
            try await Self.withClient(gateway) { client in
                try await Self.expectValidRequestSucceeds(client)
                await servers.stop(1)
                let response = try await Self.infer(client, #"{"input":\#(Self.jsonArray(Fixtures.randomRow(seed: 3)))}"#)
                #expect(response.status == .serviceUnavailable)
                #expect(try Self.errorBody(response).error.code == "backends_unavailable")
                #expect(response.headers[.retryAfter] == "1")
            }
        }
    }

    @Test func aBackendThatNeverAnswersGives504AtTheDeadline() async throws {
        try await withSilentListener { listener in
            try await withShareServers([ShareServerSpec()]) { servers in
                var configuration = Fixtures.gatewayConfiguration(backendURLs: [servers.urls[0], listener.url])
                configuration.requestTimeout = .milliseconds(300)
                try await withGateway(configuration, verify: false) { gateway in
                    try await Self.withClient(gateway) { client in
                        let started = ContinuousClock.now
                        let response = try await Self.infer(client, #"{"input":\#(Self.jsonArray(Fixtures.randomRow(seed: 4)))}"#)
                        #expect(response.status == .gatewayTimeout)
                        #expect(try Self.errorBody(response).error.code == "deadline_exceeded")
                        // Not a timing assertion: only that the answer did not wait for some
                        // longer default (curl's 5 s connect timeout, the 20 s client timeout).
                        #expect(ContinuousClock.now - started < .seconds(4))
                    }
                }
            }
        }
    }

    // MARK: Health and verification

    @Test func healthzIsOKWithBothBackendsVerified() async throws {
        try await withDemoDeployment { servers, gateway in
            try await Self.withClient(gateway) { client in
                let response = try await Self.get(client, "/healthz")
                #expect(response.status == .ok)
                let health = try Self.decode(Health.self, response)
                #expect(health.status == "ok")
                let model = try #require(health.models.first)
                #expect(health.models.count == 1)
                #expect(model.name == "demo")
                #expect(model.servable)
                #expect(model.shares == 2)
                #expect(model.backends.map(\.status) == ["verified", "verified"])
                #expect(model.backends.map(\.url) == servers.urls)
                #expect(model.backends.map(\.trust_domain) == ["domain-0", "domain-1"])
                #expect(model.backends.allSatisfy { $0.reason == nil })
            }
        }
    }

    /// Runs `body` with a demo server and a second server serving `otherModel`, behind a gateway.
    static func withMismatchedSecondBackend(
        otherModel: @escaping (URL) throws -> String, weightFractionBits: Int = 26,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try otherModel(directory)
            try await withShareServers([ShareServerSpec(), ShareServerSpec(modelPath: path, weightFractionBits: weightFractionBits)]) { servers in
                try await withGateway(Fixtures.gatewayConfiguration(backendURLs: servers.urls)) { gateway in
                    try await Self.withClient(gateway, body)
                }
            }
        }
    }

    static func expectSecondBackendRefused(_ client: some TestClientProtocol, reasonMentions word: String) async throws {
        let response = try await get(client, "/healthz")
        #expect(response.status == .serviceUnavailable)
        let health = try decode(Health.self, response)
        #expect(health.status == "degraded")
        let model = try #require(health.models.first)
        #expect(!model.servable)
        #expect(model.backends.map(\.status) == ["verified", "refused"])
        let reason = try #require(model.backends[1].reason)
        #expect(reason.contains(word), "reason: \(reason)")
        #expect(reason.contains("backend-1"))

        let infer = try await Self.infer(client, #"{"input":\#(jsonArray(Fixtures.randomRow(seed: 8)))}"#)
        #expect(infer.status == .serviceUnavailable)
        #expect(try errorBody(infer).error.code == "backends_unavailable")
    }

    @Test func aBackendServingOtherWeightsIsRefusedOnItsDigest() async throws {
        try await Self.withMismatchedSecondBackend(otherModel: { directory in
            try Fixtures.writeLinearModel(to: directory.appendingPathComponent("demo.safetensors"), outputs: 10, inputs: 256, seed: 77)
        }) { client in
            try await Self.expectSecondBackendRefused(client, reasonMentions: "sha256")
        }
    }

    @Test func aBackendServingAnotherShapeIsRefusedOnItsShape() async throws {
        try await Self.withMismatchedSecondBackend(otherModel: { directory in
            try Fixtures.writeLinearModel(to: directory.appendingPathComponent("demo.safetensors"), outputs: 10, inputs: 128, seed: 78)
        }) { client in
            try await Self.expectSecondBackendRefused(client, reasonMentions: "shape")
        }
    }

    @Test func aBackendUsingOtherWeightFractionBitsIsRefused() async throws {
        try await Self.withMismatchedSecondBackend(otherModel: { _ in Fixtures.demoModelPath }, weightFractionBits: 20) { client in
            try await Self.expectSecondBackendRefused(client, reasonMentions: "weight_frac_bits")
        }
    }

    @Test func aRefusedBackendIsSkippedWhenEnoughOthersRemain() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let other = try Fixtures.writeLinearModel(to: directory.appendingPathComponent("other.safetensors"), outputs: 10, inputs: 256, seed: 79)
            try await withShareServers([ShareServerSpec(), ShareServerSpec(modelPath: other), ShareServerSpec()]) { servers in
                try await withGateway(Fixtures.gatewayConfiguration(backendURLs: servers.urls)) { gateway in
                    try await Self.withClient(gateway) { client in
                        let health = try await Self.get(client, "/healthz")
                        #expect(health.status == .ok)
                        #expect(try Self.decode(Health.self, health).models.first?.backends.map(\.status) == ["verified", "refused", "verified"])
                        // Placement rotates; every request must avoid the refused backend.
                        for _ in 0..<4 { try await Self.expectValidRequestSucceeds(client) }
                    }
                }
            }
        }
    }

    // MARK: Metrics and a real socket

    @Test func metricsCountRequestsByModelAndCode() async throws {
        try await withDemoDeployment { _, gateway in
            try await Self.withClient(gateway) { client in
                try await Self.expectValidRequestSucceeds(client)
                _ = try await Self.infer(client, #"{"input":[1,2,3]}"#)
                _ = try await Self.infer(client, #"{"model":"nope","input":[1]}"#)
                let response = try await Self.get(client, "/metrics")
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                let lines = text.split(separator: "\n").filter { $0.hasPrefix("eis_requests_total{") }
                func count(model: String, code: String) -> Bool {
                    lines.contains { $0.contains(#"model="\#(model)""#) && $0.contains(#"code="\#(code)""#) && $0.hasSuffix(" 1") }
                }
                #expect(count(model: "demo", code: "200"))
                #expect(count(model: "demo", code: "400"))
                #expect(count(model: "unknown", code: "404"))
                #expect(text.contains(#"eis_backend_up{backend="backend-0"} 1"#))
                #expect(text.contains(#"eis_backend_up{backend="backend-1"} 1"#))
            }
        }
    }

    @Test func theGatewayApplicationAnswersOverARealSocket() async throws {
        let layer = try Fixtures.demoLayer()
        try await withDemoDeployment(configure: { $0.maxBodyBytes = 16 << 10 }) { _, gateway in
            try await withRunningApplication({ gateway.makeApplication(onListening: $0) }) { port in
                let client = CurlHTTPClient()
                defer { client.shutdown() }
                let x = Fixtures.randomRow(seed: 11)
                let response = try await client.execute(HTTPClientRequest(
                    method: .post, url: "http://127.0.0.1:\(port)/infer",
                    headers: [(name: "Content-Type", value: "application/json")],
                    body: Array(#"{"input":\#(Self.jsonArray(x))}"#.utf8)), timeout: .seconds(10))
                #expect(response.status == 200)
                let answer = try JSONDecoder().decode(Answer.self, from: Data(response.body))
                Self.expectClose(try #require(answer.output), Fixtures.reference(layer, x))

                let health = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
                #expect(health.status == 200)
            }
        }
    }

    // MARK: The in-process helpers themselves

    struct Planned: Error {}

    @Test func inProcessServersAreStoppedWhenTheBodyReturnsOrThrows() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let returned = try await withShareServers([ShareServerSpec(), ShareServerSpec()]) { servers in
            for url in servers.urls {
                let response = try await client.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(5))
                #expect(response.status == 200)
            }
            return servers.urls
        }
        let thrown = LockedURLs()
        await #expect(throws: Planned.self) {
            try await withShareServers([ShareServerSpec()]) { servers in
                thrown.set(servers.urls)
                throw Planned()
            }
        }
        for url in returned + thrown.get() {
            await #expect(throws: (any Error).self, "\(url) still answers") {
                _ = try await client.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(5))
            }
        }
    }
}

/// URLs captured from inside a `@Sendable` body.
final class LockedURLs: Sendable {
    private let urls = Mutex<[String]>([])
    func set(_ value: [String]) { urls.withLock { $0 = value } }
    func get() -> [String] { urls.withLock { $0 } }
}
