/// Encodes real numbers into the ring Z/2^64 as signed fixed point, and decodes them back.
///
/// A value `x` becomes `round(x · 2^fractionBits)` read as a two's-complement `Int64`, which is
/// the ring element. Encoding refuses what does not fit instead of wrapping: a wrapped number
/// would be a silently wrong answer (docs/ARCHITECTURE.md, invariant 5).
public struct FixedPointCodec: Sendable, Hashable {
    /// Number of fractional bits: the resolution is `2^-fractionBits`.
    public let fractionBits: Int
    /// `2^fractionBits` as a Double (exact).
    public let scale: Double

    /// Creates a codec.
    ///
    /// - Precondition: `0 ≤ fractionBits ≤ 62`.
    public init(fractionBits: Int) {
        precondition((0...62).contains(fractionBits), "fractionBits must be in 0...62, got \(fractionBits)")
        self.fractionBits = fractionBits
        self.scale = Double(sign: .plus, exponent: fractionBits, significand: 1)
    }

    /// The largest magnitude `encode` accepts (exclusive): `2^(63 − fractionBits)`.
    public var limit: Double { Double(sign: .plus, exponent: 63 - fractionBits, significand: 1) }

    /// Encodes one value.
    ///
    /// - Throws: `FixedPointError.notFinite` for NaN or ±∞, `.outOfRange` when the scaled value
    ///   does not fit in an `Int64`.
    public func encode(_ value: Double) throws(FixedPointError) -> Int64 {
        guard value.isFinite else { throw .notFinite }
        let scaled = (value * scale).rounded(.toNearestOrEven)
        // 2^63 is exactly representable; Int64(exactly:) would also reject it, but checking the
        // Double first avoids a trap in the conversion.
        guard scaled > -9.223372036854775808e18, scaled < 9.223372036854775808e18 else {
            throw .outOfRange(value: value, limit: limit)
        }
        return Int64(scaled)
    }

    /// Encodes a vector, failing on the first value that cannot be encoded.
    public func encode(_ values: some Collection<Double>) throws(FixedPointError) -> [Int64] {
        var out = [Int64]()
        out.reserveCapacity(values.count)
        for value in values { out.append(try encode(value)) }
        return out
    }

    /// Decodes a ring element read as a signed integer.
    @inlinable
    public func decode(_ element: Int64) -> Double {
        Double(element) / scale
    }
}

/// Why a value could not be encoded into fixed point.
public enum FixedPointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// NaN or infinity.
    case notFinite
    /// The value's magnitude is at or above the codec's limit.
    case outOfRange(value: Double, limit: Double)

    public var description: String {
        switch self {
        case .notFinite: "value is not a finite number"
        case .outOfRange(let value, let limit): "value \(value) is outside the encodable range (|x| < \(limit))"
        }
    }
}
