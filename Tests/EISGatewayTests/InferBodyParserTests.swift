import Foundation
import Testing

@testable import EISGateway

/// The hand-written `/infer` body parser and answer writer.
struct InferBodyParserTests {
    private func parse(_ text: String) throws(GatewayError) -> InferRequest {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GatewayError) in try InferBodyParser.parse(raw) } }
        return try result.get()
    }

    private func code(_ text: String) -> String? {
        do { _ = try parse(text) } catch { return error.code }
        return nil
    }

    @Test func readsSingleAndBatchBodiesWithModel() throws {
        let single = try parse(#" { "model" : "demo", "input" : [1, -2.5, 0, 3e2, -0.125E-1] } "#)
        #expect(single.model == "demo")
        #expect(single.input == [1, -2.5, 0, 300, -0.0125])
        #expect(single.inputs == nil)
        let batch = try parse(#"{"inputs":[[1,2],[3,4],[]]}"#)
        #expect(batch.inputs == [[1, 2], [3, 4], []])
        #expect(try parse("{}").input == nil)
    }

    @Test func skipsUnknownKeysOfEveryKind() throws {
        let body = #"{"id":"r-1","parameters":{"a":[1,{"b":null}],"c":true,"d":false,"e":"x\"y"},"n":-1.5e-3,"input":[7]}"#
        #expect(try parse(body).input == [7])
    }

    @Test func decodesStringEscapesInTheModelName() throws {
        #expect(try parse(#"{"model":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}"#).model == "a\"b\\c/d\né😀")
    }

    /// Every finite Double written in its shortest form reads back bit for bit. (Foundation's
    /// JSONSerialization misses the last bit on some of these, e.g. 3.5635608259435298e+59.)
    @Test func numbersRoundTripBitForBit() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            let parsed = try #require(try parse("{\"input\":[\(value)]}").input?.first)
            #expect(parsed.bitPattern == value.bitPattern, "\(value)")
        }
        for text in ["0.1", "1e-7", "123456789012345678901234567890", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308"] {
            #expect(try parse("{\"input\":[\(text)]}").input?.first == Double(text))
        }
    }

    @Test(arguments: [
        ("", "malformed_json"), ("[1,2]", "malformed_json"), ("42", "malformed_json"), ("\"input\"", "malformed_json"),
        (#"{"input":[1,2"#, "malformed_json"), (#"{"input":[01]}"#, "malformed_json"), (#"{"input":[1.]}"#, "malformed_json"),
        (#"{"input":[.5]}"#, "malformed_json"), (#"{"input":[+1]}"#, "malformed_json"), (#"{"input":[-]}"#, "malformed_json"),
        (#"{"input":[1e]}"#, "malformed_json"), (#"{"input":[NaN]}"#, "malformed_json"), (#"{"input":[Infinity]}"#, "malformed_json"),
        (#"{"input":[1]} x"#, "malformed_json"), (#"{"input":[1],}"#, "malformed_json"), (#"{"input":[1,]}"#, "malformed_json"),
        (#"{"input":[1]"#, "malformed_json"), (#"{input:[1]}"#, "malformed_json"), (#"{"input":[1],"input":[2]}"#, "malformed_json"),
        ("{\"model\":\"a\u{01}\"}", "malformed_json"), (#"{"model":"\x"}"#, "malformed_json"), (#"{"model":"\ud800"}"#, "malformed_json"),
        (#"{"x":tru}"#, "malformed_json"),
        (#"{"input":["a"]}"#, "invalid_value"), (#"{"input":[1,null]}"#, "invalid_value"), (#"{"input":[true]}"#, "invalid_value"),
        (#"{"input":5}"#, "invalid_value"), (#"{"inputs":[1]}"#, "invalid_value"), (#"{"inputs":5}"#, "invalid_value"),
        (#"{"model":5}"#, "invalid_value"),
        (#"{"input":[1e999]}"#, "not_finite"), (#"{"inputs":[[0],[-1e400]]}"#, "not_finite"),
    ])
    func refusesBadBodiesWithTheRightCode(body: String, expected: String) {
        #expect(code(body) == expected, "\(body)")
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(code("{\"x\":\(deep)}") == "malformed_json")
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(code("{\"x\":\(fine),\"input\":[1]}") == nil)
    }

    @Test func invalidUTF8InAStringIsMalformed() {
        let bytes: [UInt8] = Array(#"{"model":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GatewayError) in try InferBodyParser.parse(raw) } }
        #expect(throws: GatewayError.self) { try result.get() }
    }

    @Test func answersAreValidJSONThatRoundTripsExactly() throws {
        let outputs: [[Double]] = [[0.1, -2.5e-7, 1e20, 0, -0.0], [Double.leastNonzeroMagnitude, 123456.789]]
        let model = "m\"o\\d\u{1}el"
        let batch = InferResponseWriter.batch(model: model, outputs: outputs)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(batch)) as? [String: Any])
        #expect(object["model"] as? String == model)
        #expect(object["outputs"] as? [[Double]] == outputs)
        let single = InferResponseWriter.single(model: "demo", output: outputs[0])
        #expect(String(decoding: single, as: UTF8.self).hasPrefix(#"{"model":"demo","output":[0.1,"#))
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(single)) as? [String: Any])
        #expect(decoded["output"] as? [Double] == outputs[0])
    }
}

extension InferBodyParserTests {
    @Test func rowsBeyondTheLimitFailWhileParsing() {
        let body = "{\"inputs\":[" + Array(repeating: "[]", count: 5000).joined(separator: ",") + "]}"
        let bytes = Array(body.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GatewayError) in try InferBodyParser.parse(raw, maxRows: 8) } }
        #expect(throws: GatewayError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.code == "too_many_rows") }
    }
}

extension InferBodyParserTests {
    /// The messages name the element (row and index) or the byte, as before the reader read whole arrays.
    @Test(arguments: [
        (#"{"input":[1,"a"]}"#, "invalid_value", "input[1]: expected a number"),
        (#"{"inputs":[[1],[2, null]]}"#, "invalid_value", "inputs[1][1]: expected a number"),
        (#"{"input":[1,1e999]}"#, "not_finite", "input[1]: the number is too large to be finite"),
        (#"{"inputs":[[0],[1,-1e400]]}"#, "not_finite", "inputs[1][1]: the number is too large to be finite"),
        (#"{"input":[01]}"#, "malformed_json", "invalid JSON: leading zero in a number at byte 11"),
        (#"{"input":[1,]}"#, "malformed_json", "invalid JSON: expected a number at byte 12"),
        (#"{"input":[1,-]}"#, "malformed_json", "invalid JSON: expected a number at byte 13"),
        (#"{"input":[1 2]}"#, "malformed_json", "invalid JSON: expected ',' or ']' at byte 12"),
        (#"{"input":[1,"a]}"#, "malformed_json", "invalid JSON: unterminated string starting at byte 12"),
        (#"{"input":[1"#, "malformed_json", "invalid JSON: unterminated array at byte 11"),
    ])
    func badElementsAreNamedByIndexOrByte(body: String, code: String, message: String) {
        let bytes = Array(body.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(GatewayError) in try InferBodyParser.parse(raw) } }
        guard case .failure(let error) = result else { Issue.record("\(body) was accepted"); return }
        #expect(error.code == code, "\(body)")
        #expect(error.message == message, "\(body)")
    }

    @Test func longRowsOfFullPrecisionNumbersReadBitForBit() throws {
        // Python's json spelling of uniform values in ±1, one row and three rows.
        var generator = SystemRandomNumberGenerator()
        let row = (0..<1000).map { _ in Double.random(in: -1...1, using: &generator) }
        let text = row.map { "\($0)" }.joined(separator: ", ")
        let single = try #require(try parse("{\"input\": [\(text)]}").input)
        #expect(single.map(\.bitPattern) == row.map(\.bitPattern))
        let batch = try #require(try parse("{\"inputs\": [[\(text)], [], [\(text)]]}").inputs)
        #expect(batch.map { $0.map(\.bitPattern) } == [row.map(\.bitPattern), [], row.map(\.bitPattern)])
    }
}
