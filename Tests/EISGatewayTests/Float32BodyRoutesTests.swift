import EISCore
@testable import EISGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `/infer` with `application/octet-stream` float32 rows, against in-process share servers.
@Suite(.serialized)
struct Float32BodyRoutesTests {
    static func body(_ rows: [[Float]]) -> ByteBuffer {
        var bytes = [UInt8]()
        for value in rows.joined() { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return ByteBuffer(bytes: bytes)
    }

    static func post(_ client: some TestClientProtocol, _ body: ByteBuffer, query: String = "") async throws -> TestResponse {
        try await client.executeRequest(uri: "/infer" + query, method: .post, headers: [.contentType: "application/octet-stream"], body: body)
    }

    @Test func float32RowsAreAnsweredAsFloat32Rows() async throws {
        let layer = try Fixtures.demoLayer()
        try await withDemoDeployment { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let rows = (0..<3).map { seed in Fixtures.randomRow(seed: UInt64(40 + seed)).map(Float.init) }
                for query in ["", "?model=demo"] {
                    let response = try await Self.post(client, Self.body(rows), query: query)
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/octet-stream")
                    let bytes = Array(response.body.readableBytesView)
                    #expect(bytes.count == 3 * layer.outputs * 4)
                    for (row, x) in rows.enumerated() {
                        let want = Fixtures.reference(layer, x.map(Double.init))
                        for column in 0..<layer.outputs {
                            let offset = (row * layer.outputs + column) * 4
                            let bits = bytes[offset..<(offset + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
                            // float32 output: within float32 rounding of the exact answer.
                            #expect(abs(Double(Float(bitPattern: bits)) - want[column]) <= 1e-6 + abs(want[column]) * 1e-7)
                        }
                    }
                }
            }
        }
    }

    @Test func badFloat32BodiesGetClearErrors() async throws {
        try await withDemoDeployment(configure: { $0.maxRowsPerRequest = 2 }) { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let row = [Float](repeating: 0.5, count: 256)
                let cases: [(ByteBuffer, String, Int, String)] = [
                    (ByteBuffer(bytes: [0, 0, 0]), "", 400, "wrong_length"),
                    (ByteBuffer(), "", 400, "wrong_length"),
                    (Self.body([Array(row.dropLast())]), "", 400, "wrong_length"),
                    (Self.body([row, row, row]), "", 400, "too_many_rows"),
                    (Self.body([row.enumerated().map { $0.offset == 7 ? .nan : $0.element }]), "", 400, "not_finite"),
                    (Self.body([row]), "?model=nope", 404, "unknown_model"),
                ]
                for (body, query, status, code) in cases {
                    let response = try await Self.post(client, body, query: query)
                    #expect(response.status.code == status, "\(code)")
                    #expect(try GatewayRoutesTests.errorBody(response).error.code == code)
                }
                // Still serving.
                #expect(try await Self.post(client, Self.body([row])).status == .ok)
            }
        }
    }
}
