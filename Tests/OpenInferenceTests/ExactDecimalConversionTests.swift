import EISTestSupport
import Foundation
import OpenInference
import Testing

/// The fast decimal conversion gives exactly what `Double(String)` (strtod) gives, or hands
/// the token back.
struct ExactDecimalConversionTests {
    /// The fast path's answer for a token, nil when it hands the token back.
    static func fast(_ token: String) -> Double? {
        var bytes = Array(token.utf8)
        return bytes.withUnsafeMutableBytes { DecimalNumber.parse(UnsafeRawBufferPointer($0)) }
    }

    /// Expects the fast path to agree with `Double(String)`, bit for bit, when it answers.
    static func expectAgrees(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let reference = Double(token) else { Issue.record("\(token) is not a number", sourceLocation: sourceLocation); return }
        if let value = fast(token) {
            #expect(value.bitPattern == reference.bitPattern, "\(token): \(value) vs strtod's \(reference)", sourceLocation: sourceLocation)
        }
    }

    @Test func shortestRoundTripSpellingsOfRandomDoublesConvertExactly() {
        var generator = SplitMix64(seed: 2026)
        var answered = 0
        for _ in 0..<20_000 {
            let scales: [Double] = [1e-6, 1e-3, 1, 1e3, 1e9]
            let scale = scales[Int.random(in: 0..<scales.count, using: &generator)]
            let value = Double.random(in: -scale...scale, using: &generator)
            let token = "\(value)"
            Self.expectAgrees(token)
            if Self.fast(token) != nil { answered += 1 }
        }
        // The point of the fast paths: the common spellings take them (all but exact ties).
        #expect(answered > 19_900, "\(answered) of 20000 on the fast path")
    }

    @Test func randomDecimalTokensOfEveryLengthAndExponentConvertExactly() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...19, using: &generator)
            var mantissa = String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { mantissa += String(Int.random(in: 0...9, using: &generator)) }
            let point = Int.random(in: 0...digits, using: &generator)
            var token = point == digits ? mantissa : String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
            if token.hasPrefix(".") { token = "0" + token }
            if Bool.random(using: &generator) { token += "e\(Int.random(in: -30...25, using: &generator))" }
            if Bool.random(using: &generator) { token = "-" + token }
            Self.expectAgrees(token)
        }
    }

    @Test(arguments: [
        // Exactly halfway between two doubles: ties go to the even one.
        "9007199254740993", "9007199254740995", "-9007199254740993", "9007199254740993e3",
        // Just above halfway (a remainder below the quotient's bits decides).
        "9007199254740993.000001", "0.30000000000000004", "0.1", "0.2", "0.3", "1e23", "8.589973e9",
        "1", "0", "-0", "-0.0", "0.000", "0e5", "1E+2", "1e-2", "123456789012345678", "1234567890123456789",
        "0.1234567890123456789", "4.9406564584124654e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
        "1e400", "1e-400", "12345678901234567890", "0.00000000000000000000000000000000000000001",
    ])
    func edgeCasesAgreeWithStrtod(_ token: String) {
        Self.expectAgrees(token)
    }

    @Test func negativeZeroKeepsItsSign() {
        #expect(Self.fast("-0")?.sign == .minus)
        #expect(Self.fast("-0.0e10")?.sign == .minus)
    }

    @Test func tokensOutsideTheFastPathAreHandedBack() {
        #expect(Self.fast("12345678901234567890") == nil, "more than 19 significant digits")
        #expect(Self.fast("1e400") == nil, "beyond the exponent range")
        #expect(Self.fast("4.9406564584124654e-324") == nil, "subnormal")
    }

    // MARK: The whole conversion (fast paths and fallback) through the reader

    /// What the reader makes of `token` (the fast paths or `Double(String)`, as it chooses).
    static func read(_ token: String) -> Double? {
        let bytes = Array(token.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: 1)
            guard let value = try? reader.readDouble(), reader.position == buffer.count else { return nil }
            return value
        }
    }

    /// Expects the reader to give exactly `Double(String)`'s answer, and the fast paths to
    /// agree whenever they answer.
    static func expectExact(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let reference = Double(token) else { Issue.record("\(token) is not a number", sourceLocation: sourceLocation); return }
        let value = read(token)
        #expect(value?.bitPattern == reference.bitPattern, "\(token): \(String(describing: value)) vs strtod's \(reference)", sourceLocation: sourceLocation)
        expectAgrees(token, sourceLocation: sourceLocation)
    }

    @Test func randomDoublesWithEveryNumberOfDigitsConvertExactly() {
        var generator = SplitMix64(seed: 15)
        var checked = 0
        while checked < 10_000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            checked += 1
            // Shortest, then 16 to 20 and 26 significant digits (%.Ne writes N + 1).
            Self.expectExact("\(value)")
            for precision in [15, 16, 17, 18, 19, 25] {
                Self.expectExact(String(format: "%.\(precision)e", value))
            }
        }
        // The inputs /infer mostly sees: uniform in ±1, as Python's json writes them.
        for _ in 0..<10_000 {
            let value = Double.random(in: -1...1, using: &generator)
            Self.expectExact("\(value)")
            Self.expectExact(String(format: "%.17g", value))
            Self.expectExact(String(format: "%.18g", value))
        }
    }

    @Test func tiesBetweenTwoDoublesRoundToEvenAndTheirNeighboursDoNot() {
        var generator = SplitMix64(seed: 53)
        for _ in 0..<2_000 {
            // (2m + 1) · 2^k lies exactly halfway between the doubles m · 2^(k+1) and (m + 1) · 2^(k+1).
            let m = UInt64.random(in: (1 << 52)..<(1 << 53), using: &generator)
            for k in 0...9 {
                let tie = (2 * m + 1) << k
                Self.expectExact("\(tie)")
                Self.expectExact("\(tie - 1)")
                Self.expectExact("\(tie + 1)")
                Self.expectExact("\(tie)0e-1")
                Self.expectExact("\(tie / 10).\(tie % 10)e1")
            }
            // (2m + 1) / 2^j = (2m + 1) · 5^j / 10^j, also an exact tie.
            var power: UInt64 = 1
            for j in 1...2 {
                power *= 5
                let digits = (2 * m + 1) * power
                Self.expectExact("\(digits)e-\(j)")
                Self.expectExact("\(digits + 1)e-\(j)")
                Self.expectExact("\(digits - 1)e-\(j)")
            }
        }
    }

    @Test(arguments: [
        // Clinger's path: significand up to 2^53, |exponent| up to 22, and just past either.
        "9007199254740992e22", "9007199254740992e-22", "9007199254740993e22", "9007199254740993e-22",
        "9007199254740992e23", "9007199254740992e-23", "1e22", "1e-22", "1e23", "1e-23", "123e-22", "4503599627370497e22",
        // The table's ends, and past them (handed back: zero, subnormal or infinity).
        "1e-342", "9999999999999999999e-342", "1e-343", "1e308", "9e308", "1e309", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "17976931348623157e292", "-1.7976931348623157e308",
        // Subnormals and the edge of the normal range.
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072009e-308", "4.9406564584124654e-324",
        "2.4703282292062328e-324", "2.4703282292062327e-324", "1e-320", "-5e-324",
        // Zeros of every spelling, huge exponents, long digit strings.
        "0", "-0", "0e5", "-0e-5", "0.000e999999999", "0e99999999999999999999", "1e99999999999999999999",
        "1e-99999999999999999999", "-1e-99999999999999999999", "1e0000000000000000000000001", "10000000000000000000000000000000e-31",
        "1234567890123456789", "12345678901234567891", "9999999999999999999", "18446744073709551615", "18446744073709551616",
        "0.0000000000000000000001234567890123456789", "0.00000000000000000000012345678901234567891", "123456789.0123456789",
        "1234567890123456789012345678901234567890.5", "0.30000000000000004441", "7.0000000000000000000000000001",
    ])
    func edgesOfTheFastPathsAgreeWithStrtod(_ token: String) {
        Self.expectExact(token)
    }

    @Test func digitRunsOfEveryLengthConvertExactly() {
        // Runs around the eight-digit steps of the reader, in the integer part and the fraction.
        var generator = SplitMix64(seed: 8)
        for length in 1...40 {
            for _ in 0..<50 {
                var digits = String(Int.random(in: 1...9, using: &generator))
                for _ in 1..<length { digits += String(Int.random(in: 0...9, using: &generator)) }
                Self.expectExact(digits)
                Self.expectExact("0.\(digits)")
                Self.expectExact("-0.000\(digits)e-7")
                Self.expectExact("\(digits).\(digits)")
                Self.expectExact("\(digits)E+\(length)")
            }
        }
        for zeros in [1, 7, 8, 9, 16, 19, 20, 400] {
            Self.expectExact("0." + String(repeating: "0", count: zeros) + "1")
            Self.expectExact("1" + String(repeating: "0", count: zeros))
            Self.expectExact("1." + String(repeating: "0", count: zeros))
        }
    }
}
