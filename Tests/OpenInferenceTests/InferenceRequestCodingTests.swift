import OpenInference
import Testing

struct InferenceRequestCodingTests {
    private func sample() throws -> InferenceRequest {
        var request = InferenceRequest(
            id: "req-1",
            inputs: [
                try Tensor(name: "x", shape: [2, 3], data: .int64([.min, .max, 0, -1, 1, 9_007_199_254_740_993])),
                try Tensor(name: "f", shape: [3], data: .fp32([0.1, -1e-30, Float.greatestFiniteMagnitude]), parameters: ["content_type": .string("np")]),
                try Tensor(name: "d", shape: [1, 2], data: .fp64([Double.pi, -0.0])),
                try Tensor(name: "empty", shape: [0, 4], data: .fp64([])),
            ],
            outputs: [RequestedOutput(name: "y", binaryData: true)])
        request.binaryDataOutput = true
        return request
    }

    @Test func jsonRoundTripIsExact() throws {
        let request = try sample()
        let body = try request.encoded()
        #expect(body.jsonLength == nil)
        #expect(body.contentType == "application/json")
        let decoded = try InferenceRequest(decoding: body.bytes)
        #expect(decoded == request)
    }

    @Test func binaryRoundTripIsExactAndPutsDataAfterTheHeader() throws {
        let request = try sample()
        let body = try request.encoded(binary: .all)
        let jsonLength = try #require(body.jsonLength)
        #expect(body.bytes.count == jsonLength + 6 * 8 + 3 * 4 + 2 * 8)
        #expect(body.headers.contains { $0.name == InferenceBody.headerLengthField && $0.value == String(jsonLength) })
        let header = String(decoding: body.bytes[..<jsonLength], as: UTF8.self)
        #expect(header.contains("\"binary_data_size\":48"))
        #expect(!header.contains("\"data\""))
        let decoded = try InferenceRequest(decoding: body.bytes, jsonLength: jsonLength)
        #expect(decoded == request)
        // Little-endian, row-major: Int64.min first.
        #expect(Array(body.bytes[jsonLength..<(jsonLength + 8)]) == [0, 0, 0, 0, 0, 0, 0, 0x80])
    }

    @Test func someTensorsBinaryOthersJSON() throws {
        let request = try sample()
        let body = try request.encoded(binary: .named(["f"]))
        let jsonLength = try #require(body.jsonLength)
        #expect(body.bytes.count == jsonLength + 12)
        #expect(try InferenceRequest(decoding: body.bytes, jsonLength: jsonLength) == request)
        // Naming no tensor that exists gives a plain JSON body.
        #expect(try request.encoded(binary: .named(["nope"])).jsonLength == nil)
    }

    @Test func binaryOutputPrecedenceFollowsTheExtension() throws {
        var request = try sample()
        #expect(request.wantsBinaryOutput(named: "y"))
        #expect(request.wantsBinaryOutput(named: "other"))
        request.outputs = [RequestedOutput(name: "y", binaryData: false)]
        #expect(!request.wantsBinaryOutput(named: "y"))
        request.binaryDataOutput = false
        #expect(!request.wantsBinaryOutput(named: "other"))
    }

    @Test func nestedDataMatchingTheShapeIsRead() throws {
        let decoded = try InferenceRequest(decoding: requestBody(shape: "[2,2]", data: "[[1,2],[3,4]]"))
        #expect(decoded.inputs[0].data == .int64([1, 2, 3, 4]))
        let fp = try InferenceRequest(decoding: requestBody(datatype: "FP64", shape: "[2,1,2]", data: "[[[1.5,2]],[[3,4e-1]]]"))
        #expect(fp.inputs[0].data == .fp64([1.5, 2, 3, 0.4]))
    }

    @Test func keysMayComeInAnyOrderAndUnknownOnesAreSkipped() throws {
        let body = bytes(#"{"extra":{"a":[1,{"b":null}]},"inputs":[{"data":[7,8],"parameters":null,"shape":[2],"x-unknown":true,"datatype":"INT64","name":"x"}],"id":null}"#)
        let decoded = try InferenceRequest(decoding: body)
        #expect(decoded.id == nil)
        #expect(decoded.inputs == [try Tensor(name: "x", shape: [2], data: .int64([7, 8]))])
    }

    @Test func fp32DataWrittenThroughFloat64ArriveUnchanged() throws {
        // What Python writes for numpy float32 values: their exact float64 text.
        let decoded = try InferenceRequest(decoding: requestBody(datatype: "FP32", shape: "[2]", data: "[0.10000000149011612, 3.4028234663852886e+38]"))
        #expect(decoded.inputs[0].data == .fp32([0.1, .greatestFiniteMagnitude]))
    }

    @Test func nonFiniteFloatsCannotBeSentInJSONButCanInBinary() throws {
        let request = InferenceRequest(inputs: [try Tensor(name: "x", shape: [1], data: .fp32([.nan]))])
        #expect(throws: OpenInferenceError.self) { try request.encoded() }
        let body = try request.encoded(binary: .all)
        let decoded = try InferenceRequest(decoding: body.bytes, jsonLength: body.jsonLength)
        guard case .fp32(let values) = decoded.inputs[0].data else { Issue.record("not FP32"); return }
        #expect(values[0].isNaN)
    }

    @Test func stringsAreEscapedOnTheWayOut() throws {
        let request = InferenceRequest(id: "a\"b\\c\n\u{01}é", inputs: [try Tensor(name: "x/y", shape: [0], data: .int64([]))])
        let decoded = try InferenceRequest(decoding: try request.encoded().bytes)
        #expect(decoded.id == request.id)
        #expect(decoded.inputs[0].name == "x/y")
    }
}
