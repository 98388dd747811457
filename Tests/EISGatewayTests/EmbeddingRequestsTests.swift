import Foundation
import Hummingbird
import Testing

@testable import EISGateway

/// The embedding APIs' request bodies are read as OpenAI and text-embeddings-inference define
/// them, every bad shape is a 400 naming the field, and answers and errors come back in the
/// shapes their clients parse.
struct EmbeddingRequestsTests {
    private func openAI(_ json: String, maxInputs: Int = 8) throws(GatewayError) -> OpenAIEmbeddingsRequest {
        try OpenAIEmbeddingsRequest(decoding: Array(json.utf8), maxInputs: maxInputs)
    }

    private func tei(_ json: String, maxInputs: Int = 8) throws(GatewayError) -> TEIEmbedRequest {
        try TEIEmbedRequest(decoding: Array(json.utf8), maxInputs: maxInputs)
    }

    @Test func openAIInputComesInFourShapes() throws {
        #expect(try openAI(#"{"input":"a cat","model":"minilm"}"#).input == .texts(["a cat"]))
        #expect(try openAI(#"{"input":["a","b"]}"#).input == .texts(["a", "b"]))
        #expect(try openAI(#"{"input":[101,2023,102]}"#).input == .tokenIDs([[101, 2023, 102]]))
        #expect(try openAI(#"{"input":[[101,102],[101,7592,102]]}"#).input == .tokenIDs([[101, 102], [101, 7592, 102]]))
        let request = try openAI(#"{"input":"x","model":"minilm","encoding_format":"base64","user":"u-1"}"#)
        #expect(request.model == "minilm")
        #expect(request.encodingFormat == .base64)
        #expect(try openAI(#"{"input":"x","dimensions":null}"#).encodingFormat == .float)
    }

    @Test(arguments: [
        (#"{"input":"x","dimensions":128}"#, "unsupported_parameter"),
        (#"{"input":""}"#, "missing_input"),
        (#"{"input":[]}"#, "missing_input"),
        (#"{"input":["a",""]}"#, "missing_input"),
        (#"{"input":[[]]}"#, "missing_input"),
        (#"{"model":"m"}"#, "missing_input"),
        (#"{"input":["a",1]}"#, "invalid_parameter"),
        (#"{"input":[1,"a"]}"#, "invalid_parameter"),
        (#"{"input":[[1],"a"]}"#, "invalid_parameter"),
        (#"{"input":[1.5]}"#, "invalid_parameter"),
        (#"{"input":[-1]}"#, "invalid_parameter"),
        (#"{"input":[true]}"#, "invalid_parameter"),
        (#"{"input":[4294967296]}"#, "invalid_parameter"),
        (#"{"input":5}"#, "invalid_parameter"),
        (#"{"input":{"text":"a"}}"#, "invalid_parameter"),
        (#"{"input":"a","model":7}"#, "invalid_parameter"),
        (#"{"input":"a","encoding_format":"int8"}"#, "invalid_parameter"),
        (#"{"input":["1","2","3","4","5","6","7","8","9"]}"#, "too_many_inputs"),
        (#"{"input":"a""#, "malformed_json"),
        (#"["a"]"#, "malformed_json"),
        (#"{"input":"a","input":"b"}"#, "malformed_json"),
    ])
    func badOpenAIRequestsAreRefusedNamingTheField(body: String, code: String) {
        let error = #expect(throws: GatewayError.self) { try openAI(body) }
        #expect(error?.code == code)
        #expect(error?.status == .badRequest)
    }

    @Test func teiRequestsHaveTEIsDefaults() throws {
        let one = try tei(#"{"inputs":"a cat"}"#)
        #expect(one.inputs == ["a cat"])
        #expect(one.normalize && !one.truncate)
        let two = try tei(#"{"inputs":["a","b"],"normalize":false,"truncate":true,"truncation_direction":"Right"}"#)
        #expect(two.inputs == ["a", "b"] && !two.normalize && two.truncate)
    }

    @Test(arguments: [
        (#"{"inputs":[]}"#, "missing_input"),
        (#"{"inputs":""}"#, "missing_input"),
        (#"{}"#, "missing_input"),
        (#"{"inputs":[1]}"#, "invalid_parameter"),
        (#"{"inputs":"a","normalize":"yes"}"#, "invalid_parameter"),
        (#"{"inputs":"a","truncation_direction":"left"}"#, "unsupported_parameter"),
        (#"{"inputs":"a","prompt_name":"query"}"#, "unsupported_parameter"),
        (#"{"inputs":["1","2","3","4","5","6","7","8","9"]}"#, "too_many_inputs"),
    ])
    func badTEIRequestsAreRefusedNamingTheField(body: String, code: String) {
        let error = #expect(throws: GatewayError.self) { try tei(body) }
        #expect(error?.code == code)
    }

    @Test func base64VectorsAreLittleEndianFloat32() throws {
        let vector: [Float] = [0.1, -2.5, .leastNonzeroMagnitude, 1e-7]
        let text = OpenAIEmbeddingsResponse.base64(vector)
        let bytes = try #require(Data(base64Encoded: text))
        #expect(bytes.count == 16)
        let decoded = (0..<4).map { index -> Float in
            var bits: UInt32 = 0
            for byte in (0..<4).reversed() { bits = bits << 8 | UInt32(bytes[index * 4 + byte]) }
            return Float(bitPattern: bits)
        }
        #expect(decoded == vector)
    }

    @Test func answersCarryTheVectorsInOrderWithUsage() throws {
        let response = OpenAIEmbeddingsResponse(vectors: [[0.1, 0.2], [0.3, -0.4]], model: "minilm", promptTokens: 9, format: .float)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.encoded())) as? [String: Any])
        #expect(json["object"] as? String == "list")
        #expect(json["model"] as? String == "minilm")
        let data = try #require(json["data"] as? [[String: Any]])
        #expect(data.map { $0["index"] as? Int } == [0, 1])
        #expect(data.allSatisfy { $0["object"] as? String == "embedding" })
        #expect((data[1]["embedding"] as? [Double])?.map { Float($0) } == [0.3, -0.4])
        let usage = try #require(json["usage"] as? [String: Int])
        #expect(usage == ["prompt_tokens": 9, "total_tokens": 9])
        // Floats are written as float32's shortest form, not widened to double's digits.
        #expect(String(decoding: try response.encoded(), as: UTF8.self).contains("[0.1,0.2]"))
    }

    @Test func errorsComeInTheShapeEachClientReads() throws {
        let error = GatewayError.unknownModel("no model named 'gpt'")
        let openAI = try #require(try JSONSerialization.jsonObject(with: Data(EmbeddingErrorBodies.openAI(error))) as? [String: Any])
        let detail = try #require(openAI["error"] as? [String: Any])
        #expect(detail["type"] as? String == "invalid_request_error")
        #expect(detail["code"] as? String == "unknown_model")
        #expect(detail["message"] as? String == "no model named 'gpt'")
        #expect(detail.keys.contains("param"))
        let tei = try #require(try JSONSerialization.jsonObject(with: Data(EmbeddingErrorBodies.textEmbeddingsInference(error))) as? [String: String])
        #expect(tei == ["error": "unknown_model: no model named 'gpt'", "error_type": "validation"])
        let down = try #require(try JSONSerialization.jsonObject(
            with: Data(EmbeddingErrorBodies.textEmbeddingsInference(.backendsUnavailable("too few")))) as? [String: String])
        #expect(down["error_type"] == "unhealthy")
    }
}
