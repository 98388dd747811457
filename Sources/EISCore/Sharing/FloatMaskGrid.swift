/// The one fixed grid that float masking puts inputs, masks and shares on.
///
/// Masks drawn as Doubles and subtracted in Double leak through their low-order bits: the
/// rounding of `x − m` depends on `x`, so a backend that knows how masks are drawn can test
/// which candidate `x` a share is consistent with (Mironov's attack on floating-point noise).
/// On this grid nothing is rounded after the input: every value is an integer multiple of the
/// power of two `spacing`, every mask is `j · spacing` with `j` uniform in `[−steps, steps]`,
/// and every share has magnitude at most `shares · range ≤ 2^significandBits · spacing`, so it
/// is exact in the backend's float format and `x − m` is exact. A share is then the rounded
/// input shifted by a uniform lattice vector, and all it reveals is how far that vector's box
/// reaches (`advantageBound`).
public struct FloatMaskGrid: Sendable, Hashable {
    /// Significand bits of the backends' float format: 24 (float32) or 53 (float64).
    public let significandBits: Int
    /// `k`, the number of shares.
    public let shares: Int
    /// The grid's spacing `g`: a power of two, never finer than the backends' ulp of `range`.
    public let spacing: Double
    /// Masks are `j · spacing` with `|j| ≤ steps`; `steps · spacing ≤ range`.
    public let steps: Int64

    /// The grid for masks in `[−range, range]`, `shares` shares, and backends whose format has
    /// `significandBits` significand bits.
    ///
    /// `spacing = B / 2^significandBits` with `B` the smallest power of two `≥ shares · range`, so
    /// every share, of magnitude at most `(shares − 1) · range + |x| ≤ shares · range`, is an
    /// integer below `2^significandBits` times the spacing.
    ///
    /// - Precondition: `range` positive and finite, `shares ≥ 2`, `significandBits` in `1...53`,
    ///   and the spacing a normal number (`range` not absurdly small).
    public init(range: Double, shares: Int, significandBits: Int) {
        precondition(range > 0 && range.isFinite, "mask range must be positive and finite, got \(range)")
        precondition(shares >= 2, "masking needs at least 2 shares, got \(shares)")
        precondition((1...53).contains(significandBits), "significand bits must be in 1...53, got \(significandBits)")
        let total = Double(shares) * range
        precondition(total.isFinite, "shares · range must be finite")
        // The smallest power of two ≥ total.
        var top = Double(sign: .plus, exponent: total.exponent, significand: 1)
        if top < total { top *= 2 }
        let spacing = Double(sign: .plus, exponent: top.exponent - significandBits, significand: 1)
        precondition(spacing >= Double.leastNormalMagnitude, "mask range \(range) is too small for a float grid")
        self.significandBits = significandBits
        self.shares = shares
        self.spacing = spacing
        // range / spacing ≤ 2^significandBits, exact in Double; round down so masks stay in range.
        self.steps = Int64((range / spacing).rounded(.down))
    }

    /// The grid for a float arithmetic: 24 significand bits for float32, 53 for float64.
    ///
    /// - Precondition: `arithmetic` is a float arithmetic.
    public init(range: Double, shares: Int, arithmetic: Arithmetic) {
        switch arithmetic {
        case .float32: self.init(range: range, shares: shares, significandBits: 24)
        case .float64: self.init(range: range, shares: shares, significandBits: 53)
        case .ring64: preconditionFailure("ring64 has no float mask grid")
        }
    }

    /// The largest input magnitude the grid takes: `steps · spacing` (at most the mask range).
    /// A value beyond the mask range would stand out of its share's box anyway.
    public var inputLimit: Double { Double(steps) * spacing }

    /// `value / spacing` rounded to the nearest integer (ties to even).
    ///
    /// - Precondition: `|value| ≤ inputLimit`.
    @inlinable
    public func gridIndex(of value: Double) -> Int64 {
        precondition(abs(value) <= inputLimit, "value outside the float mask grid's input limit")
        return Int64((value / spacing).rounded(.toNearestOrEven))
    }

    /// `value` rounded to the grid: what the backends' shares add up to.
    public func rounded(_ value: Double) -> Double { Double(gridIndex(of: value)) * spacing }

    /// The largest distinguishing advantage one backend can have between two inputs whose
    /// rounded values differ by `l1Distance` in L1 norm: `min(1, l1Distance / ((2·steps + 1)·spacing))`.
    ///
    /// Each coordinate of a share is the rounded input plus a mask uniform over `2·steps + 1`
    /// grid points; shifting it by `t` points changes `t` of them, a statistical distance of
    /// `t / (2·steps + 1)`, and distances add up over coordinates (and over further masks for
    /// `k > 2`, by conditioning on them). `(2·steps + 1)·spacing > 2·range − spacing`.
    public func advantageBound(l1Distance: Double) -> Double {
        min(1, l1Distance / ((2 * Double(steps) + 1) * spacing))
    }
}
