@testable import OpenInference
import Testing

struct DecimalNumberTests {
    private func int64(_ text: String) throws(OpenInferenceError) -> Int64 {
        try withReader(text) { reader throws(OpenInferenceError) in try reader.readInt64() }
    }

    private func double(_ text: String) throws(OpenInferenceError) -> Double {
        try withReader(text) { reader throws(OpenInferenceError) in try reader.readDouble() }
    }

    @Test func int64ParsesTheWholeRangeExactly() throws {
        #expect(try int64("9223372036854775807") == .max)
        #expect(try int64("-9223372036854775808") == .min)
        #expect(try int64("-0") == 0)
        // Values a Double would round: 2^53 + 1 and its neighbours.
        #expect(try int64("9007199254740993") == 9_007_199_254_740_993)
        #expect(try int64("-9223372036854775807") == -9_223_372_036_854_775_807)
    }

    @Test(arguments: ["9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999999"])
    func int64OutOfRangeIsRefused(_ text: String) {
        #expect(caught { () throws(OpenInferenceError) in try int64(text) }?.shortDescription == "invalid_value")
    }

    @Test(arguments: ["1.5", "1e3", "1.0", "1E0"])
    func int64WithAFractionOrExponentIsRefused(_ text: String) {
        #expect(caught { () throws(OpenInferenceError) in try int64(text) }?.shortDescription == "invalid_value")
    }

    @Test func int64RoundTripsRandomValuesThroughTheWriter() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Int64(bitPattern: generator.next())
            var writer = JSONWriter()
            writer.int(value)
            #expect(try int64(String(decoding: writer.bytes, as: UTF8.self)) == value)
        }
    }

    @Test func doublesMatchTheStandardLibraryOnEdgeCases() throws {
        let cases = [
            "0", "-0", "0.0", "1", "-1", "0.1", "0.3", "1e22", "1e23", "9007199254740993", "9007199254740992",
            "2.2250738585072014e-308", "4.9e-324", "5e-324", "2.4703282292062327e-324", "1.7976931348623157e308",
            "123456789012345678901234567890", "0.000000000000000000000000000001", "3.141592653589793238462643383279",
            "1e-400", "-1e-400", "1.00000000000000011102230246251565404236316680908203125",
            "0.1e1", "10e-1", "100000000000000000000e-20", "8.98846567431158e307",
        ]
        for text in cases {
            let parsed = try double(text)
            let expected = Double(text)!
            #expect(parsed.bitPattern == expected.bitPattern, "\(text): \(parsed) vs \(expected)")
        }
        #expect(try double("1e400") == .infinity)
        #expect(try double("-1e400") == -.infinity)
    }

    @Test func doublesRoundTripRandomBitPatternsThroughTheWriter() throws {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        while checked < 5000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            var writer = JSONWriter()
            writer.double(value)
            let parsed = try double(String(decoding: writer.bytes, as: UTF8.self))
            #expect(parsed.bitPattern == value.bitPattern)
            checked += 1
        }
    }

    @Test func shortDecimalsUseTheExactFastPathCorrectly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            // Up to 15 significant digits and exponents within ±22: the fast path's domain.
            let mantissa = Int64.random(in: -999_999_999_999_999...999_999_999_999_999, using: &generator)
            let exponent = Int.random(in: -22...22, using: &generator)
            let text = "\(mantissa)e\(exponent)"
            #expect(try double(text).bitPattern == Double(text)!.bitPattern, "\(text)")
        }
    }
}
