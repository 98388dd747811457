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

    @Test(arguments: [
        ("01", "leading zero in a number at byte 1"), ("-01", "leading zero in a number at byte 2"),
        ("00", "leading zero in a number at byte 1"), ("-", "expected a number at byte 1"),
        ("--1", "expected a number at byte 1"), (".5", "expected a number at byte 0"), ("+1", "expected a number at byte 0"),
        ("- 1", "expected a number at byte 1"), ("1.", "expected a digit after '.' at byte 2"),
        ("1.e5", "expected a digit after '.' at byte 2"), ("-0.x", "expected a digit after '.' at byte 3"),
        ("1e", "expected a digit in an exponent at byte 2"), ("1e+", "expected a digit in an exponent at byte 3"),
        ("1E-x", "expected a digit in an exponent at byte 3"), ("12345678901234567890e", "expected a digit in an exponent at byte 21"),
    ])
    func eachNumberGrammarErrorNamesItsByte(text: String, message: String) {
        let error = caught { () throws(OpenInferenceError) in try withReader(text) { reader throws(OpenInferenceError) in try reader.readDouble() } }
        #expect(error?.shortDescription == "malformed")
        #expect(error?.message == message, "\(text)")
    }

    /// `readNumbers(into:)` over `text`, which starts with `[`: how it ended, what it read, and
    /// where the reader stopped (the rest of `text` is left unread).
    private func numbers(_ text: String) throws(OpenInferenceError) -> (end: JSONReader.NumberArrayEnd, values: [Double], position: Int) {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(OpenInferenceError) in
                var reader = JSONReader(buffer, maxDepth: 4)
                try reader.beginArray()
                var values = [Double]()
                let end = try reader.readNumbers(into: &values)
                return (end, values, reader.position)
            }
        }
        return try result.get()
    }

    @Test func numberArraysReadWithAnyWhitespace() throws {
        let spaced = try numbers("[ 1 ,2,\t3\n,\r\n4 , -5.5e1 ,  6]")
        #expect(spaced.end == .closed)
        #expect(spaced.values == [1, 2, 3, 4, -55, 6])
        #expect(try numbers("[]").values.isEmpty)
        #expect(try numbers("[ \n ]").end == .closed)
        let next = try numbers("[1, 2] , 3")
        #expect(next.end == .closed && next.position == 6)
    }

    @Test func numberArraysLongerThanTheFirstBufferKeepEveryValue() throws {
        // A buffer sized for full-precision numbers, filled with one-digit ones: it must grow.
        let values = (0..<20_000).map { Double($0 % 10) }
        let read = try numbers("[" + values.map { "\(Int($0))" }.joined(separator: ",") + "]")
        #expect(read.end == .closed)
        #expect(read.values == values)
    }

    @Test func numberArraysStopAtTheFirstNonNumberOrInfinity() throws {
        let string = try numbers(#"[1, "a", 2]"#)
        #expect(string.end == .notANumber(index: 1) && string.values == [1] && string.position == 4)
        #expect(try numbers("[1,]").end == .notANumber(index: 1))
        #expect(try numbers("[1,").end == .notANumber(index: 1))
        #expect(try numbers("[null]").end == .notANumber(index: 0))
        let infinite = try numbers("[1, -1e400, 2]")
        #expect(infinite.end == .notFinite(index: 1) && infinite.values == [1])
        // What is not JSON throws, with the byte.
        #expect(caught { () throws(OpenInferenceError) in try numbers("[1, -]") }?.message == "expected a number at byte 5")
        #expect(caught { () throws(OpenInferenceError) in try numbers("[1 2]") }?.message == "expected ',' or ']' at byte 3")
        #expect(caught { () throws(OpenInferenceError) in try numbers("[1, 2") }?.message == "unterminated array at byte 5")
        #expect(caught { () throws(OpenInferenceError) in try numbers("[1, 01]") }?.message == "leading zero in a number at byte 5")
    }
}
