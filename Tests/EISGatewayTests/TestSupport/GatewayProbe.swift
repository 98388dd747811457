import EISCore
@testable import EISGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What tests read from a running gateway: its exact answer, `/healthz` and `/metrics`.
enum GatewayProbe {
    /// The answer the gateway must give for `x`, computed here with its own fixed point.
    ///
    /// The shares recombine to exactly `W_enc · x_enc (mod 2^64)`, so a correct deployment
    /// matches this bit for bit, however the input was shared and whichever backends answered.
    static func exactAnswer(_ gateway: Gateway, _ x: [Double]) throws -> [Double] {
        guard let pipeline = gateway.pipelines["demo"] else { throw FixtureError("no model demo") }
        let model = pipeline.model
        let product = RingKernels.multiply(try pipeline.encode([x]), byTransposeOf: model.layers[0].weights.matrix)
        return product.elements.enumerated().map { column, value in
            model.layers[0].outputCodec.decode(value) + 1.0 * (model.layers[0].layer.bias?[column] ?? 0)
        }
    }

    /// Sends `x` to `/infer` and expects a 200 whose output is exactly `exactAnswer`.
    static func expectExactAnswer(
        _ client: some TestClientProtocol, _ gateway: Gateway, _ x: [Double], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let response = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(x))}"#)
        #expect(response.status == .ok, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        guard response.status == .ok else { return }
        let answer = try GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, response)
        #expect(answer.output == (try exactAnswer(gateway, x)), sourceLocation: sourceLocation)
    }

    /// The `/healthz` report.
    static func health(_ client: some TestClientProtocol) async throws -> GatewayRoutesTests.Health {
        try GatewayRoutesTests.decode(GatewayRoutesTests.Health.self, try await GatewayRoutesTests.get(client, "/healthz"))
    }

    /// One backend's entry in `/healthz`.
    static func backend(_ name: String, in health: GatewayRoutesTests.Health) throws -> GatewayRoutesTests.Health.Backend {
        guard let backend = health.models.flatMap(\.backends).first(where: { $0.name == name }) else {
            throw FixtureError("no backend \(name) in /healthz")
        }
        return backend
    }

    /// The `/metrics` text.
    static func metrics(_ client: some TestClientProtocol) async throws -> String {
        String(buffer: try await GatewayRoutesTests.get(client, "/metrics").body)
    }

    /// The value of one series in Prometheus text, e.g. `eis_backend_up{backend="b"}`; nil when absent.
    static func value(of series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }
}
