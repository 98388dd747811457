import OpenInference
import EISTestSupport
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
        // The point of the fast path: the common spellings take it.
        #expect(answered > 15_000, "\(answered) of 20000 on the fast path")
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
}
