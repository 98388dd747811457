import OpenInference
import Testing

/// Bodies an attacker (or a broken server) might send: each is refused with the right error
/// kind, before anything large is allocated.
struct HostileInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let body: [UInt8]
        let jsonLength: Int?
        let kind: String
        var testDescription: String { label }

        init(_ label: String, _ body: [UInt8], jsonLength: Int? = nil, _ kind: String) {
            self.label = label
            self.body = body
            self.jsonLength = jsonLength
            self.kind = kind
        }
    }

    /// A binary body: JSON header `json` followed by `binary`.
    static func binaryBody(_ json: String, _ binary: [UInt8]) -> (body: [UInt8], jsonLength: Int) {
        (Array(json.utf8) + binary, json.utf8.count)
    }

    static let cases: [Case] = {
        var cases: [Case] = [
            Case("empty body", [], "malformed"),
            Case("not an object", bytes("[]"), "malformed"),
            Case("no inputs", bytes("{}"), "malformed"),
            Case("shape product overflows", requestBody(shape: "[4294967296,4294967296,16]", data: "[1]"), "too_large"),
            Case("shape above the element limit", requestBody(shape: "[1099511627776]", data: "[1]"), "too_large"),
            Case("shape promises more than the text holds", requestBody(shape: "[1000000]", data: "[1,2]"), "inconsistent"),
            Case("more values than the shape", requestBody(shape: "[1,2]", data: "[1,2,3]"), "inconsistent"),
            Case("fewer values than the shape", requestBody(shape: "[1,3]", data: "[1,2]"), "inconsistent"),
            Case("nested rows too short", requestBody(shape: "[2,2]", data: "[[1,2],[3]]"), "inconsistent"),
            Case("nested rows too long", requestBody(shape: "[2,2]", data: "[[1,2],[3,4,5]]"), "inconsistent"),
            Case("too many nested rows", requestBody(shape: "[1,2]", data: "[[1,2],[3,4]]"), "inconsistent"),
            Case("negative dimension", requestBody(shape: "[-1,2]", data: "[1,2]"), "invalid_value"),
            Case("fractional dimension", requestBody(shape: "[1.5]", data: "[1]"), "invalid_value"),
            Case("rank above the limit", requestBody(shape: "[1,1,1,1,1,1,1,1,1]", data: "[1]"), "too_large"),
            Case("INT64 above the range", requestBody(shape: "[1]", data: "[9223372036854775808]"), "invalid_value"),
            Case("INT64 with a fraction", requestBody(shape: "[1]", data: "[1.5]"), "invalid_value"),
            Case("FP32 above the range", requestBody(datatype: "FP32", shape: "[1]", data: "[1e39]"), "invalid_value"),
            Case("FP64 above the range", requestBody(datatype: "FP64", shape: "[1]", data: "[1e309]"), "invalid_value"),
            Case("NaN literal", requestBody(datatype: "FP64", shape: "[1]", data: "[NaN]"), "malformed"),
            Case("string element", requestBody(shape: "[1]", data: "[\"1\"]"), "malformed"),
            Case("unsupported datatype", requestBody(datatype: "INT32", shape: "[1]", data: "[1]"), "unsupported"),
            Case("BYTES datatype", requestBody(datatype: "BYTES", shape: "[1]", data: "[\"a\"]"), "unsupported"),
            Case("unknown datatype", requestBody(datatype: "FLOAT", shape: "[1]", data: "[1]"), "malformed"),
            Case("no data", bytes(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[1]}]}"#), "malformed"),
            Case("duplicate data", requestBody(shape: "[1]", data: "[1]", extra: ",\"data\":[2]"), "inconsistent"),
            Case("duplicate inputs", bytes(#"{"inputs":[],"inputs":[]}"#), "inconsistent"),
            Case("trailing garbage", bytes(#"{"inputs":[]} x"#), "malformed"),
            Case("too many tensors", bytes("{\"inputs\":[" + Array(repeating: #"{"name":"x","datatype":"INT64","shape":[0],"data":[]}"#, count: 65).joined(separator: ",") + "]}"), "too_large"),
            Case("binary size without the header", requestBody(shape: "[1]", data: "[1]", extra: ",\"parameters\":{\"binary_data_size\":8}"), "inconsistent"),
        ]
        let header = #"{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":16}}]}"#
        let ok = binaryBody(header, [UInt8](repeating: 1, count: 16))
        let short = binaryBody(header, [UInt8](repeating: 1, count: 15))
        let long = binaryBody(header, [UInt8](repeating: 1, count: 17))
        let wrongSize = binaryBody(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":15}}]}"#, [UInt8](repeating: 1, count: 15))
        let hugeSize = binaryBody(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":9223372036854775807}}]}"#, [])
        let negativeSize = binaryBody(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":-16}}]}"#, [])
        let both = binaryBody(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[2],"data":[1,2],"parameters":{"binary_data_size":16}}]}"#, [UInt8](repeating: 1, count: 16))
        let overflowing = binaryBody(#"{"inputs":[{"name":"x","datatype":"INT64","shape":[4611686018427387904],"parameters":{"binary_data_size":0}}]}"#, [])
        cases += [
            Case("binary data cut short", short.body, jsonLength: short.jsonLength, "inconsistent"),
            Case("binary data with bytes left over", long.body, jsonLength: long.jsonLength, "inconsistent"),
            Case("binary size not count × width", wrongSize.body, jsonLength: wrongSize.jsonLength, "inconsistent"),
            Case("binary size enormous", hugeSize.body, jsonLength: hugeSize.jsonLength, "inconsistent"),
            Case("binary size negative", negativeSize.body, jsonLength: negativeSize.jsonLength, "malformed"),
            Case("binary and JSON data both", both.body, jsonLength: both.jsonLength, "inconsistent"),
            Case("binary shape overflowing", overflowing.body, jsonLength: overflowing.jsonLength, "too_large"),
            Case("header length cuts the JSON", ok.body, jsonLength: ok.jsonLength - 1, "malformed"),
            Case("header length past the JSON", ok.body, jsonLength: ok.jsonLength + 1, "malformed"),
            Case("header length past the body", ok.body, jsonLength: ok.body.count + 1, "inconsistent"),
        ]
        return cases
    }()

    @Test(arguments: cases)
    func requestIsRefused(_ hostile: Case) {
        let error = caught { () throws(OpenInferenceError) in try InferenceRequest(decoding: hostile.body, jsonLength: hostile.jsonLength) }
        #expect(error?.shortDescription == hostile.kind, "\(hostile.label): \(error?.description ?? "accepted")")
    }

    @Test(arguments: cases)
    func responseIsRefusedToo(_ hostile: Case) {
        // The same bodies with "outputs" for "inputs": responses share the tensor decoder.
        let body = hostile.body.replacingAll(bytes("\"inputs\""), with: bytes("\"outputs\""))
        let jsonLength = hostile.jsonLength.map { $0 + (body.count - hostile.body.count) }
        let error = caught { () throws(OpenInferenceError) in try InferenceResponse(decoding: body, jsonLength: jsonLength) }
        #expect(error?.shortDescription == hostile.kind, "\(hostile.label): \(error?.description ?? "accepted")")
    }

    @Test func theElementLimitCountsAcrossTensors() {
        let body = bytes(#"{"inputs":[{"name":"a","datatype":"INT64","shape":[3],"data":[1,2,3]},{"name":"b","datatype":"INT64","shape":[3],"data":[1,2,3]}]}"#)
        let error = caught { () throws(OpenInferenceError) in try InferenceRequest(decoding: body, limits: OpenInferenceLimits(maxElements: 5)) }
        #expect(error?.shortDescription == "too_large")
    }

    @Test(arguments: ["12x", "-1", "", " ", "99999999999999999999", "1 2"])
    func badHeaderLengthsAreRefused(_ value: String) {
        #expect(caught { () throws(OpenInferenceError) in try InferenceBody.jsonLength(fromHeader: value, bodyCount: 100) } != nil)
    }

    @Test func headerLengthIsReadStrictly() throws {
        #expect(try InferenceBody.jsonLength(fromHeader: nil, bodyCount: 10) == nil)
        #expect(try InferenceBody.jsonLength(fromHeader: " 42 ", bodyCount: 100) == 42)
        #expect(caught { () throws(OpenInferenceError) in try InferenceBody.jsonLength(fromHeader: "101", bodyCount: 100) }?.shortDescription == "inconsistent")
    }
}

extension [UInt8] {
    /// This byte string with every occurrence of `target` replaced.
    func replacingAll(_ target: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        var result = [UInt8]()
        var index = 0
        while index < count {
            if index + target.count <= count, Array(self[index..<(index + target.count)]) == target {
                result += replacement
                index += target.count
            } else {
                result.append(self[index])
                index += 1
            }
        }
        return result
    }
}
