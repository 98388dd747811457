import OpenInference
import Testing

struct InferenceResponseCodingTests {
    @Test func jsonAndBinaryRoundTripsAreExact() throws {
        let response = InferenceResponse(
            modelName: "demo-int64", modelVersion: "1", id: "eis-1",
            outputs: [
                try Tensor(name: "y", shape: [2, 2], data: .int64([.min, -1, 0, .max])),
                try Tensor(name: "z", shape: [1], data: .fp32([-0.5])),
            ],
            parameters: ["content_type": .string("np")])
        #expect(try InferenceResponse(decoding: try response.encoded().bytes) == response)
        let binary = try response.encoded(binary: .named(["y"]))
        #expect(binary.bytes.count == (binary.jsonLength ?? 0) + 32)
        #expect(try InferenceResponse(decoding: binary.bytes, jsonLength: binary.jsonLength) == response)
        #expect(response.output(named: "z")?.datatype == .fp32)
        #expect(response.output(named: "nope") == nil)
    }

    /// The shape of KServe 0.21's JSON answer for an INT64 model.
    @Test func readsAKServeStyleAnswer() throws {
        let body = bytes(#"{"model_name":"demo-int64","model_version":null,"id":"eis-00ff","parameters":null,"outputs":[{"name":"y","shape":[1,3],"datatype":"INT64","parameters":null,"data":[-9223372036854775808,42,9223372036854775807]}]}"#)
        let response = try InferenceResponse(decoding: body)
        #expect(response.modelName == "demo-int64")
        #expect(response.modelVersion == nil)
        #expect(response.outputs[0].data == .int64([.min, 42, .max]))
    }

    /// MLServer adds parameters with nested headers to its answers.
    @Test func readsAnMLServerStyleAnswer() throws {
        let body = bytes(#"{"model_name":"demo-fp32","id":"eis-1","parameters":{"headers":{"x-a":"1","Ce-Id":"eis-1"}},"outputs":[{"name":"y","shape":[1,2],"datatype":"FP32","parameters":{"content_type":"np"},"data":[0.10000000149011612,-2.5]}]}"#)
        let response = try InferenceResponse(decoding: body)
        #expect(response.outputs[0].data == .fp32([0.1, -2.5]))
        #expect(response.outputs[0].parameters["content_type"] == .string("np"))
        #expect(response.parameters["headers"] != nil)
    }

    /// The binary extension's own example answer, which has no model_name.
    @Test func readsABinaryAnswerWithoutAModelName() throws {
        let header = #"{"outputs":[{"name":"output0","shape":[3,2],"datatype":"FP32","parameters":{"binary_data_size":24}}]}"#
        var body = bytes(header)
        for value: Float in [1, 2, 3, 4, 5, 6] { withUnsafeBytes(of: value.bitPattern.littleEndian) { body += $0 } }
        let response = try InferenceResponse(decoding: body, jsonLength: header.utf8.count)
        #expect(response.modelName == nil)
        #expect(response.outputs[0].shape == [3, 2])
        #expect(response.outputs[0].data == .fp32([1, 2, 3, 4, 5, 6]))
        #expect(response.outputs[0].parameters.isEmpty, "binary_data_size belongs to the encoding")
    }

    @Test func aResponseNeedsOutputs() {
        #expect(caught { () throws(OpenInferenceError) in try InferenceResponse(decoding: bytes(#"{"model_name":"m"}"#)) }?.shortDescription == "malformed")
    }
}
