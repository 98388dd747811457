import OpenInference
import Testing

struct ModelMetadataCodingTests {
    @Test func roundTripKeepsWildcardsAndParameters() throws {
        let metadata = ModelMetadata(
            name: "demo-int64", versions: ["1", "2"], platform: "",
            inputs: [TensorMetadata(name: "x", datatype: "INT64", shape: [-1, 256])],
            outputs: [TensorMetadata(name: "y", datatype: "INT64", shape: [-1, 10], parameters: ["content_type": .string("np")])],
            parameters: ["weight_frac_bits": .int(26), "weights_sha256": .string(String(repeating: "ab", count: 32))])
        #expect(try ModelMetadata(decoding: try metadata.encoded()) == metadata)
    }

    /// KServe 0.21's metadata: no parameters, datatype kept as text even when unsupported.
    @Test func readsKServeStyleMetadata() throws {
        let body = bytes(#"{"name":"demo-int64-wrongtype","versions":null,"platform":"","inputs":[{"name":"x","datatype":"INT32","shape":[-1,256]}],"outputs":[{"name":"y","datatype":"INT64","shape":[-1,10]}]}"#)
        let metadata = try ModelMetadata(decoding: body)
        #expect(metadata.versions.isEmpty)
        #expect(metadata.inputs[0].datatype == "INT32")
        #expect(metadata.parameters.isEmpty)
    }

    @Test func namesAreRequiredAndShapesBounded() {
        #expect(caught { () throws(OpenInferenceError) in try ModelMetadata(decoding: bytes(#"{"inputs":[]}"#)) }?.shortDescription == "malformed")
        #expect(caught { () throws(OpenInferenceError) in try ModelMetadata(decoding: bytes(#"{"name":"m","inputs":[{"name":"x","datatype":"INT64","shape":[-2]}]}"#)) }?.shortDescription == "invalid_value")
        #expect(caught { () throws(OpenInferenceError) in try ModelMetadata(decoding: bytes(#"{"name":"m","inputs":[{"name":"x","datatype":"INT64"}]}"#)) }?.shortDescription == "malformed")
    }
}
