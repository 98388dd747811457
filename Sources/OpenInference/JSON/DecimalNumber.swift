/// Exact conversions of JSON number text: integers to Int64 without going through Double, and
/// decimals to the nearest Double.
package enum DecimalNumber {
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

    /// The Double nearest to a valid JSON number text (±infinity beyond the range): the exact
    /// 128-bit conversion below for the common spellings, else the standard library's correctly
    /// rounded parser.
    static func double(_ text: UnsafeBufferPointer<UInt8>, _ scan: Scan) -> Double {
        if let value = parse(UnsafeRawBufferPointer(text)) { return value }
        // JSON number syntax is a subset of what Double(_:) accepts, and it rounds correctly.
        return Double(String(decoding: text, as: UTF8.self)) ?? .nan
    }

    // MARK: Exact conversion without the C library
    //
    // Correctly rounded conversion of a JSON number token to a Double without the C library, for
    // the common case; `nil` hands the token back to `Double(String)`.
    //
    // Profiling the gateway under load (perf, DWARF call graphs) put a quarter of its CPU in
    // `Double(String)`: building a String per number, then glibc's `strtod`, whose multi-precision
    // path runs for every 17-digit number, the shortest round-trip spelling most encoders emit.
    // Here a token with at most 19 significant digits and a decimal exponent in −38…19 is
    // computed exactly in 128-bit integers and rounded once, to nearest, ties to even: the same
    // Double `strtod` returns, which the tests check on random and halfway cases.

    /// Powers of ten that fit in a UInt128 (10^0 … 10^38).
    private static let powersOfTen: [UInt128] = {
        var powers = [UInt128(1)]
        for _ in 1...38 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    /// The Double closest to the token, or nil when the token is outside the fast path (the
    /// caller then uses the general conversion). The token must already match JSON's number
    /// grammar.
    package static func parse(_ token: UnsafeRawBufferPointer) -> Double? {
        var index = 0
        let negative = token.first == UInt8(ascii: "-")
        if negative { index += 1 }
        var significand: UInt64 = 0
        var digits = 0
        var exponent = 0
        var seenPoint = false
        while index < token.count {
            let byte = token[index]
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                // Leading zeros are not significant; every digit after the point moves the exponent.
                if significand != 0 || byte != UInt8(ascii: "0") {
                    guard digits < 19 else { return nil }
                    significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
                    digits += 1
                }
                if seenPoint { exponent -= 1 }
            } else {
                break
            }
            index += 1
        }
        if index < token.count {
            // The exponent part: e or E, an optional sign, digits (the grammar was checked).
            index += 1
            var exponentNegative = false
            if token[index] == UInt8(ascii: "-") || token[index] == UInt8(ascii: "+") {
                exponentNegative = token[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            while index < token.count {
                guard written < 10_000 else { return nil }
                written = written * 10 + Int(token[index] - UInt8(ascii: "0"))
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        guard significand != 0 else { return negative ? -0.0 : 0.0 }
        let magnitude: Double?
        if exponent >= 0 {
            guard exponent <= 19 else { return nil }
            // Exact: below 10^19 · 10^19 < 2^127.
            magnitude = rounded(UInt128(significand) * powersOfTen[exponent], sticky: false, binaryExponent: 0)
        } else if -exponent <= 19 {
            // significand · 2^shift / 10^k with one 128-by-64-bit division (one instruction on
            // x86-64, where a 128-by-128 one is a library call): the shift puts the quotient
            // in [2^62, 2^64), enough bits to round.
            var divisor: UInt64 = 1
            for _ in 0..<(-exponent) { divisor &*= 10 }
            let shift = 63 + (64 - divisor.leadingZeroBitCount) - (64 - significand.leadingZeroBitCount)
            let dividend = UInt128(significand) << shift
            let (quotient, remainder) = divisor.dividingFullWidth((high: UInt64(dividend >> 64), low: UInt64(truncatingIfNeeded: dividend)))
            magnitude = rounded(quotient, sticky: remainder != 0, binaryExponent: -shift)
        } else {
            guard -exponent <= 38 else { return nil }
            // significand · 2^shift / 10^k, with as many quotient bits as 128 bits allow.
            let shift = UInt128(significand).leadingZeroBitCount - 1
            let (quotient, remainder) = (UInt128(significand) << shift).quotientAndRemainder(dividingBy: powersOfTen[-exponent])
            // Fewer than 55 bits would leave too little for rounding: hand it back.
            guard quotient >> 54 != 0 else { return nil }
            magnitude = rounded(quotient, sticky: remainder != 0, binaryExponent: -shift)
        }
        guard let magnitude else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `value · 2^binaryExponent` for a 64-bit `value` of at least 55 bits, rounded as below,
    /// in 64-bit arithmetic: the hot path.
    private static func rounded(_ value: UInt64, sticky: Bool, binaryExponent: Int) -> Double? {
        let drop = 64 - value.leadingZeroBitCount - 53
        var mantissa = value >> drop
        let rest = value & ((1 << drop) - 1)
        let half: UInt64 = 1 << (drop - 1)
        var scale = binaryExponent + drop
        if rest > half || (rest == half && (sticky || mantissa & 1 == 1)) {
            mantissa += 1
            if mantissa == 1 << 53 {
                mantissa >>= 1
                scale += 1
            }
        }
        // A normal double: biased exponent 1…2046 (the value is mantissa · 2^scale, with the
        // mantissa's leading bit at 2^52).
        let biased = scale + 52 + 1023
        guard biased > 0 && biased < 2047 else { return nil }
        return Double(bitPattern: UInt64(biased) << 52 | (mantissa & ((1 << 52) - 1)))
    }

    /// `value · 2^binaryExponent` rounded to 53 bits, to nearest, ties to even; `sticky` says
    /// that bits below `value` were cut off (so a "tie" is really above half). Nil outside the
    /// normal range.
    private static func rounded(_ value: UInt128, sticky: Bool, binaryExponent: Int) -> Double? {
        let bits = 128 - value.leadingZeroBitCount
        var mantissa: UInt64
        var scale = binaryExponent
        if bits <= 53 {
            guard !sticky else { return nil }  // cannot happen: callers give 55 bits or exact values
            mantissa = UInt64(value)
        } else {
            let drop = bits - 53
            mantissa = UInt64(value >> drop)
            let rest = value & ((UInt128(1) << drop) - 1)
            let half = UInt128(1) << (drop - 1)
            if rest > half || (rest == half && (sticky || mantissa & 1 == 1)) {
                mantissa += 1
                if mantissa == 1 << 53 {
                    mantissa >>= 1
                    scale += 1
                }
            }
            scale += drop
        }
        let result = Double(sign: .plus, exponent: scale, significand: Double(mantissa))
        guard result.isNormal else { return nil }
        return result
    }
}
