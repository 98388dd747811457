import EISCore
@testable import EISGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenInference
import Testing

/// The Open Inference (KServe V2) routes, against in-process share servers. The same routes
/// driven by the real `tritonclient.http` are in `GatewayV2TritonClientTests`.
@Suite(.serialized)
struct GatewayV2RoutesTests {
    static let headerLength = HTTPField.Name(InferenceBody.headerLengthField)!

    static func post(_ client: some TestClientProtocol, _ body: InferenceBody, path: String = "/v2/models/demo/infer") async throws -> TestResponse {
        var headers: HTTPFields = [:]
        for field in body.headers { headers[HTTPField.Name(field.name)!] = field.value }
        return try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body.bytes))
    }

    static func decode(_ response: TestResponse) throws -> InferenceResponse {
        let bytes = Array(response.body.readableBytesView)
        let jsonLength = try InferenceBody.jsonLength(fromHeader: response.headers[headerLength], bodyCount: bytes.count)
        return try InferenceResponse(decoding: bytes, jsonLength: jsonLength)
    }

    static func rows(_ count: Int, seed: UInt64) -> [[Double]] {
        (0..<count).map { Fixtures.randomRow(seed: seed + UInt64($0)) }
    }

    @Test func metadataAndReadinessDescribeTheModel() async throws {
        try await withDemoDeployment(configure: { $0.models[0].v2InputName = "INPUT__0"; $0.models[0].v2OutputName = "OUTPUT__0" }) { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                for path in ["/v2/models/demo", "/v2/models/demo/versions/1"] {
                    let response = try await GatewayRoutesTests.get(client, path)
                    #expect(response.status == .ok)
                    let metadata = try ModelMetadata(decoding: Array(response.body.readableBytesView))
                    #expect(metadata.name == "demo")
                    #expect(metadata.versions == ["1"])
                    #expect(metadata.inputs == [TensorMetadata(name: "INPUT__0", datatype: "FP32", shape: [-1, 256])])
                    #expect(metadata.outputs == [TensorMetadata(name: "OUTPUT__0", datatype: "FP32", shape: [-1, 10])])
                }
                for path in ["/v2/health/live", "/v2/health/ready", "/v2/models/demo/ready", "/v2/models/demo/versions/1/ready"] {
                    let response = try await GatewayRoutesTests.get(client, path)
                    #expect(response.status == .ok, "\(path)")
                    #expect(ReadinessBody(decoding: Array(response.body.readableBytesView))?.ready == true, "\(path)")
                }
                let server = try await GatewayRoutesTests.get(client, "/v2")
                #expect(String(buffer: server.body).contains("\"extensions\":[\"binary_tensor_data\"]"))
                for path in ["/v2/models/nope", "/v2/models/nope/ready", "/v2/models/demo/versions/2", "/v2/models/demo/versions/2/ready"] {
                    let response = try await GatewayRoutesTests.get(client, path)
                    #expect(response.status == .notFound, "\(path)")
                    #expect(ErrorBody(decoding: Array(response.body.readableBytesView)) != nil, "\(path)")
                }
            }
        }
    }

    @Test func aModelWithoutVerifiedBackendsIsNotReady() async throws {
        try await withDemoDeployment(verify: false) { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                for path in ["/v2/health/ready", "/v2/models/demo/ready"] {
                    let response = try await GatewayRoutesTests.get(client, path)
                    #expect(response.status == .serviceUnavailable, "\(path)")
                    #expect(ReadinessBody(decoding: Array(response.body.readableBytesView))?.ready == false, "\(path)")
                }
                // Liveness is about the gateway process, not its backends.
                #expect(try await GatewayRoutesTests.get(client, "/v2/health/live").status == .ok)
            }
        }
    }

    /// Every combination of JSON and binary, in and out, FP32 and FP64, one row and many: the
    /// answer is W·x + b within the datatype's rounding, in the shape and datatype asked for.
    @Test func inferenceAnswersInTheFormItWasAsked() async throws {
        let layer = try Fixtures.demoLayer()
        try await withDemoDeployment { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                var seed: UInt64 = 900
                for datatype in [TensorDatatype.fp32, .fp64, .int64] {
                    for binaryInput in [false, true] {
                        for binaryOutput in [false, true] {
                            for rank in [1, 2] {
                                seed += 10
                                let count = rank == 1 ? 1 : 3
                                var x = Self.rows(count, seed: seed)
                                if datatype == .int64 { x = x.map { $0.map { ($0 * 4).rounded() } } }
                                let flat = x.flatMap { $0 }
                                let data: TensorData = switch datatype {
                                case .fp32: .fp32(flat.map(Float.init))
                                case .int64: .int64(flat.map { Int64($0) })
                                default: .fp64(flat)
                                }
                                let shape = rank == 1 ? [256] : [count, 256]
                                let request = InferenceRequest(
                                    id: "req-\(seed)", inputs: [try Tensor(name: "input", shape: shape, data: data)],
                                    outputs: [RequestedOutput(name: "output", binaryData: binaryOutput)])
                                let response = try await Self.post(client, try request.encoded(binary: binaryInput ? .all : .none))
                                let label = "\(datatype) binary in \(binaryInput) out \(binaryOutput) rank \(rank)"
                                #expect(response.status == .ok, "\(label): \(String(buffer: response.body))")
                                #expect((response.headers[Self.headerLength] != nil) == binaryOutput, "\(label)")
                                let answer = try Self.decode(response)
                                #expect(answer.id == "req-\(seed)")
                                #expect(answer.modelName == "demo")
                                let output = try #require(answer.output(named: "output"))
                                #expect(output.shape == (rank == 1 ? [10] : [count, 10]), "\(label)")
                                let values: [Double]
                                switch output.data {
                                case .fp32(let floats):
                                    #expect(datatype != .fp64, "\(label)")
                                    values = floats.map(Double.init)
                                case .fp64(let doubles):
                                    #expect(datatype == .fp64, "\(label)")
                                    values = doubles
                                case .int64: Issue.record("\(label): INT64 output"); values = []
                                }
                                let x32 = datatype == .fp32 ? x.map { $0.map { Double(Float($0)) } } : x
                                let want = x32.flatMap { Fixtures.reference(layer, $0) }
                                #expect(values.count == want.count, "\(label)")
                                let worst = zip(values, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
                                #expect(worst < 1e-6, "\(label): largest error \(worst)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Bad requests get their status and a `{"error": "code: …"}` body, and the gateway keeps
    /// serving: a valid request after each of them succeeds.
    @Test func badRequestsGetV2Errors() async throws {
        try await withDemoDeployment(configure: { $0.maxRowsPerRequest = 4; $0.maxBodyBytes = 64 * 1024 }) { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let good = try InferenceRequest(inputs: [Tensor(name: "input", shape: [1, 256], data: .fp32(Array(repeating: 0.25, count: 256)))])
                let goodBinary = try good.encoded(binary: .all)
                func tensor(_ shape: [Int], _ data: TensorData, name: String = "input") throws -> InferenceBody {
                    try InferenceRequest(inputs: [Tensor(name: name, shape: shape, data: data)]).encoded(binary: .all)
                }
                var truncated = goodBinary
                truncated.bytes.removeLast(4)
                var lyingLength = goodBinary
                lyingLength.jsonLength = goodBinary.bytes.count + 1
                var nan = [Float](repeating: 0, count: 256)
                nan[3] = .nan
                let cases: [(String, InferenceBody, String, HTTPResponse.Status, String)] = [
                    ("not JSON", InferenceBody(bytes: Array("{\"inputs\":[".utf8), jsonLength: nil), "/v2/models/demo/infer", .badRequest, "malformed_json"),
                    ("no inputs", InferenceBody(bytes: Array("{\"outputs\":[]}".utf8), jsonLength: nil), "/v2/models/demo/infer", .badRequest, "malformed_json"),
                    ("truncated binary", truncated, "/v2/models/demo/infer", .badRequest, "inconsistent"),
                    ("header length past the body", lyingLength, "/v2/models/demo/infer", .badRequest, "inconsistent"),
                    ("wrong width", try tensor([1, 255], .fp32(Array(repeating: 0, count: 255))), "/v2/models/demo/infer", .badRequest, "wrong_length"),
                    ("rank 3", try tensor([1, 1, 256], .fp32(Array(repeating: 0, count: 256))), "/v2/models/demo/infer", .badRequest, "wrong_length"),
                    ("no rows", try tensor([0, 256], .fp32([])), "/v2/models/demo/infer", .badRequest, "missing_input"),
                    ("too many rows", try tensor([5, 256], .fp32(Array(repeating: 0, count: 5 * 256))), "/v2/models/demo/infer", .badRequest, "too_many_rows"),
                    ("NaN", try tensor([1, 256], .fp32(nan)), "/v2/models/demo/infer", .badRequest, "not_finite"),
                    ("out of range", try tensor([1, 256], .fp64(Array(repeating: 1e9, count: 256))), "/v2/models/demo/infer", .badRequest, "out_of_range"),
                    ("unknown input", try tensor([1, 256], .fp32(Array(repeating: 0, count: 256)), name: "x"), "/v2/models/demo/infer", .badRequest, "wrong_tensor"),
                    ("unknown model", goodBinary, "/v2/models/nope/infer", .notFound, "unknown_model"),
                    ("unknown version", goodBinary, "/v2/models/demo/versions/3/infer", .notFound, "unknown_version"),
                    ("body too large", try tensor([40, 256], .fp64(Array(repeating: 0, count: 40 * 256))), "/v2/models/demo/infer", .contentTooLarge, "body_too_large"),
                ]
                for (label, body, path, status, code) in cases {
                    let response = try await Self.post(client, body, path: path)
                    #expect(response.status == status, "\(label): \(String(buffer: response.body))")
                    let error = ErrorBody(decoding: Array(response.body.readableBytesView))
                    #expect(error?.message.hasPrefix(code + ": ") == true, "\(label): \(String(buffer: response.body))")
                    let after = try await Self.post(client, goodBinary)
                    #expect(after.status == .ok, "after \(label)")
                }
                let unknownOutput = InferenceRequest(inputs: good.inputs, outputs: [RequestedOutput(name: "logits")])
                let response = try await Self.post(client, try unknownOutput.encoded())
                #expect(response.status == .badRequest)
                #expect(ErrorBody(decoding: Array(response.body.readableBytesView))?.message.hasPrefix("wrong_tensor: ") == true)
                var headers: HTTPFields = [.contentEncoding: "gzip"]
                headers[.contentType] = "application/json"
                let gzip = try await client.executeRequest(uri: "/v2/models/demo/infer", method: .post, headers: headers,
                                                           body: ByteBuffer(bytes: try good.encoded().bytes))
                #expect(gzip.status == .unsupportedMediaType)
                #expect(ErrorBody(decoding: Array(gzip.body.readableBytesView))?.message.hasPrefix("unsupported_encoding: ") == true)
            }
        }
    }

    /// V2 requests are counted with the same model label and codes as `/infer`.
    @Test func v2RequestsAreCounted() async throws {
        try await withDemoDeployment { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let request = try InferenceRequest(inputs: [Tensor(name: "input", shape: [256], data: .fp32(Array(repeating: 0.5, count: 256)))])
                #expect(try await Self.post(client, try request.encoded()).status == .ok)
                #expect(try await Self.post(client, try request.encoded(), path: "/v2/models/nope/infer").status == .notFound)
                let metrics = String(buffer: try await GatewayRoutesTests.get(client, "/metrics").body)
                #expect(metrics.contains("eis_requests_total{model=\"demo\",code=\"200\"} 1"))
                #expect(metrics.contains("eis_requests_total{model=\"unknown\",code=\"404\"} 1"))
            }
        }
    }
}
