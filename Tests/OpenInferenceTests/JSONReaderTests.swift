@testable import OpenInference
import Testing

struct JSONReaderTests {
    @Test func stringsDecodeEscapesAndSurrogatePairs() throws {
        let text = try withReader(#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 é""#) { reader throws(OpenInferenceError) in try reader.readString() }
        #expect(text == "a\"b\\c/d\u{08}\u{0C}\n\r\té😀 é")
    }

    @Test(arguments: [
        #""\ud83d""#,           // high surrogate alone
        #""\ude00""#,           // low surrogate alone
        #""\ud83d\u0041""#,     // high surrogate, then no low one
        #""\x""#,               // unknown escape
        #""\u12""#,             // short \u
        #""\u12g4""#,           // bad hex
        "\"a\u{01}b\"",         // raw control character
        #""abc"#,               // unterminated
    ])
    func badStringsAreRefused(_ text: String) {
        #expect(caught { () throws(OpenInferenceError) in try withReader(text) { reader throws(OpenInferenceError) in try reader.readString() } } != nil)
    }

    @Test func invalidUTF8IsRefused() {
        let body: [UInt8] = [UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]
        let error = caught { () throws(OpenInferenceError) in
            try TensorCoding.decode(body, jsonLength: nil, limits: OpenInferenceLimits()) { (reader, _) throws(OpenInferenceError) in try reader.readString() }
        }
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test(arguments: ["01", "-", "1.", ".5", "+1", "1e", "1e+", "--1", "0x10", "NaN", "Infinity", "-Infinity"])
    func badNumbersAreRefused(_ text: String) {
        #expect(caught { () throws(OpenInferenceError) in try withReader(text) { reader throws(OpenInferenceError) in try reader.readDouble() } } != nil)
    }

    @Test func deepNestingIsRefusedWithoutRecursingFurther() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = caught { () throws(OpenInferenceError) in try withReader(deep, maxDepth: 32) { reader throws(OpenInferenceError) in try reader.skipValue() } }
        #expect(error?.shortDescription == "too_large")
        let value = caught { () throws(OpenInferenceError) in try withReader(deep, maxDepth: 32) { reader throws(OpenInferenceError) in try reader.readValue() } }
        #expect(value?.shortDescription == "too_large")
    }

    @Test(arguments: ["[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "[1]x", "{\"a\":1}{}", "", "   ", "tru", "nul"])
    func malformedStructuresAreRefused(_ text: String) {
        #expect(caught { () throws(OpenInferenceError) in try withReader(text) { reader throws(OpenInferenceError) in try reader.readValue() } } != nil)
    }

    @Test func valuesKeepIntegersExactAndFloatsAsFloats() throws {
        let value = try withReader(#" {"i": -9223372036854775808, "big": 9223372036854775808, "f": 2.0, "s": "x", "b": [true, false, null]} "#) {
            reader throws(OpenInferenceError) in try reader.readValue()
        }
        #expect(value == .object([
            "i": .int(.min), "big": .double(9223372036854775808), "f": .double(2), "s": .string("x"),
            "b": .array([.bool(true), .bool(false), .null]),
        ]))
    }

    @Test func duplicateKeysInAnObjectAreRefused() {
        let error = caught { () throws(OpenInferenceError) in try withReader(#"{"a":1,"a":2}"#) { reader throws(OpenInferenceError) in try reader.readValue() } }
        #expect(error?.shortDescription == "inconsistent")
    }
}
