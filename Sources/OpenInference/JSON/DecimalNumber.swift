/// Exact conversions of JSON number text: integers to Int64 without going through Double, and
/// decimals to the nearest Double.
package enum DecimalNumber {
    /// A number as `JSONReader.scanNumber` read it: where its parts are, and its value as a
    /// decimal significand and exponent, accumulated while the grammar was checked.
    struct Scan {
        /// The whole number text.
        var text: Range<Int>
        /// The integer part's digits (no sign).
        var digits: Range<Int>
        var negative = false
        /// No fraction and no exponent.
        var isInteger = true
        /// The significant digits as an integer, when `isExact`.
        var significand: UInt64 = 0
        /// The power of ten that scales `significand` to the number.
        var exponent = 0
        /// At most 19 significant digits, so `significand · 10^exponent` is the number exactly.
        var isExact = true
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

    /// The Double nearest to a scanned number (±infinity beyond the range): the exact fast paths
    /// below for the common spellings, else the standard library's correctly rounded parser on
    /// the number's text in `bytes`.
    @inline(__always)
    static func double(_ scan: Scan, in bytes: UnsafeBufferPointer<UInt8>) -> Double {
        if scan.isExact, let value = fast(scan) { return value }
        return slow(scan.text, in: bytes)
    }

    /// `Double(String)` on the number's text: more than 19 significant digits, subnormal or
    /// out-of-range results, and the rare cases the fast paths cannot decide.
    @inline(never)
    static func slow(_ text: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> Double {
        // JSON number syntax is a subset of what Double(_:) accepts, and it rounds correctly.
        Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[text]), as: UTF8.self)) ?? .nan
    }

    /// The Double closest to the token, or nil when the token is outside the fast paths (the
    /// caller then uses the general conversion) or is not one JSON number.
    package static func parse(_ token: UnsafeRawBufferPointer) -> Double? {
        var reader = JSONReader(token.assumingMemoryBound(to: UInt8.self), maxDepth: 1)
        guard let scan = try? reader.scanNumber(), reader.position == token.count, scan.isExact else { return nil }
        return fast(scan)
    }

    // MARK: Exact conversion without the C library
    //
    // Profiling the gateway under load put a quarter of its CPU in `Double(String)` (a String per
    // number, then glibc's `strtod`, whose multi-precision path runs for every 17-digit number,
    // the shortest round-trip spelling most encoders emit), and then, with a 128-bit division
    // path in its place, ~1000 instructions per number in scanning and converting (callgrind).
    // Now the reader accumulates the significand and exponent while it checks the grammar, and
    // two exact conversions take it from there:
    //
    // - Clinger's: a significand up to 2^53 and a power of ten up to 10^22 are both exact
    //   Doubles, so one IEEE multiplication or division rounds the exact product once.
    // - Eisel and Lemire's: the significand times a 128-bit truncated mantissa of 10^q, which
    //   decides the rounding except when the product's cut-off bits could carry or lie exactly
    //   halfway; those, like subnormal and overflowing results, go back to `Double(String)`.
    //   (Daniel Lemire, "Number Parsing at a Gigabyte per Second", 2021; this is the variant
    //   of Go's strconv and Wuffs, which fails rather than guess.)

    /// 10^0 … 10^22: the powers of ten that are exact Doubles.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The correctly rounded Double of an exact scan, or nil when neither fast path decides it.
    @inline(__always)
    static func fast(_ scan: Scan) -> Double? {
        let significand = scan.significand
        let exponent = scan.exponent
        if significand == 0 { return scan.negative ? -0.0 : 0.0 }
        if significand <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            // Both operands exact, so the one rounding of the operation is the only one.
            let exact = Double(Int64(bitPattern: significand))
            let magnitude = exponent < 0 ? exact / exactPowersOfTen[-exponent] : exact * exactPowersOfTen[exponent]
            return scan.negative ? -magnitude : magnitude
        }
        guard let bits = eiselLemire(significand, exponent) else { return nil }
        return Double(bitPattern: scan.negative ? bits | 1 << 63 : bits)
    }

    /// The bit pattern of the normal Double nearest `significand · 10^exponent` (significand
    /// not zero), or nil when the product's approximation cannot decide the rounding or the
    /// result is subnormal or infinite.
    static func eiselLemire(_ significand: UInt64, _ exponent: Int) -> UInt64? {
        guard exponent >= -342 && exponent <= 308 else { return nil }
        let index = (exponent + 342) &* 2
        let zeros = significand.leadingZeroBitCount
        let normalized = significand << zeros
        // ⌊exponent · log2 10⌋ (exact over −342…308), plus the bias and the normalisation.
        var biased = ((217_706 &* exponent) >> 16) &+ 64 &+ 1023 &- zeros
        var (high, low) = normalized.multipliedFullWidth(by: powersOfTen128[index])
        // The power's low 64 bits add less than `normalized` to `low`: only a carry into the
        // bits that decide the rounding needs them.
        if high & 0x1FF == 0x1FF && low &+ normalized < normalized {
            let (carryHigh, carryLow) = normalized.multipliedFullWidth(by: powersOfTen128[index + 1])
            let mergedLow = low &+ carryHigh
            let mergedHigh = mergedLow < low ? high &+ 1 : high
            // Still all ones below the rounding bits, and the table's truncation could carry.
            if mergedHigh & 0x1FF == 0x1FF && mergedLow == .max && carryLow &+ normalized < normalized { return nil }
            high = mergedHigh
            low = mergedLow
        }
        // 54 bits: the mantissa and one rounding bit.
        let top = Int(truncatingIfNeeded: high >> 63)
        var mantissa = high >> (top &+ 9)
        biased &-= 1 ^ top
        // Exactly halfway as far as the approximation shows, and ties-to-even would round down.
        if low == 0 && high & 0x1FF == 0 && mantissa & 3 == 1 { return nil }
        mantissa &+= mantissa & 1
        mantissa >>= 1
        if mantissa >> 53 != 0 {
            mantissa >>= 1
            biased &+= 1
        }
        guard biased >= 1 && biased <= 0x7FE else { return nil }
        return UInt64(truncatingIfNeeded: biased) << 52 | mantissa & 0x000F_FFFF_FFFF_FFFF
    }
}
