/// Exact conversions of JSON number text: integers to Int64 without going through Double, and
/// decimals to the nearest Double.
enum DecimalNumber {
    /// Where a number's parts are in the buffer, as `JSONReader` scanned them.
    struct Scan {
        /// The whole number text.
        var text: Range<Int>
        /// The integer part's digits (no sign).
        var digits: Range<Int>
        var negative = false
        /// No fraction and no exponent.
        var isInteger = true
    }

    /// The Int64 the decimal digits denote (with the sign), or nil outside the Int64 range.
    ///
    /// Accumulates in UInt64 with overflow checks, so −2^63 (whose magnitude Int64 cannot hold)
    /// parses too.
    static func int64(digits: UnsafeBufferPointer<UInt8>, negative: Bool) -> Int64? {
        var magnitude: UInt64 = 0
        for byte in digits {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Exact powers of ten: 10^22 is the largest that a Double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The Double nearest to a valid JSON number text (±infinity beyond the range).
    ///
    /// Fast path (Clinger): when the significant digits fit 2^53 and the decimal exponent is
    /// within ±22, one correctly rounded multiplication or division by an exact power of ten
    /// gives the correctly rounded result. Otherwise the standard library's correctly rounded
    /// parser decides.
    static func double(_ text: UnsafeBufferPointer<UInt8>, _ scan: Scan) -> Double {
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var index = scan.negative ? 1 : 0
        var exact = true
        var inFraction = false
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else {
                let digit = UInt64(byte &- UInt8(ascii: "0"))
                if mantissa == 0 && digit == 0 {
                    // Leading zeros carry no significance.
                    if inFraction { exponent -= 1 }
                } else if significant < 19 {
                    mantissa = mantissa * 10 + digit
                    significant += 1
                    if inFraction { exponent -= 1 }
                } else {
                    exact = false
                }
            }
            index += 1
        }
        if index < text.count {
            // Exponent digits; a huge one saturates (and the slow path handles it).
            index += 1
            var negativeExponent = false
            if text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                negativeExponent = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            while index < text.count {
                value = min(value * 10 + Int(text[index] &- UInt8(ascii: "0")), 100_000)
                index += 1
            }
            exponent += negativeExponent ? -value : value
        }
        if exact && mantissa <= 1 << 53 {
            var value = Double(mantissa)
            if mantissa == 0 {
                return scan.negative ? -0.0 : 0.0
            }
            if (0...22).contains(exponent) {
                value *= exactPowersOfTen[exponent]
                return scan.negative ? -value : value
            }
            if (-22..<0).contains(exponent) {
                value /= exactPowersOfTen[-exponent]
                return scan.negative ? -value : value
            }
        }
        // JSON number syntax is a subset of what Double(_:) accepts, and it rounds correctly.
        return Double(String(decoding: text, as: UTF8.self)) ?? .nan
    }
}
