/// The fractional bits of one round: `x_enc = round(x · 2^input)`, `W_enc = round(W · 2^weight)`.
///
/// The product is exact while `|W_enc · x_enc| < 2^63`, so the output headroom is
/// `2^(63 − input − weight)`; the resolution is `2^-input` on inputs and `2^-weight` on weights.
public struct FixedPointBits: Sendable, Hashable, CustomStringConvertible {
    /// `fx`, the input's fractional bits.
    public let input: Int
    /// `fw`, the weights' fractional bits.
    public let weight: Int

    /// Creates the bits.
    ///
    /// - Throws: `ModelPlanError` unless both are in 0...62 and their sum is below 63.
    public init(input: Int, weight: Int) throws(ModelPlanError) {
        guard (0...62).contains(input), (0...62).contains(weight), input + weight < 63 else {
            throw .invalidParameters("fractional bits fx = \(input), fw = \(weight) must each be in 0...62 and sum to less than 63")
        }
        self.input = input
        self.weight = weight
    }

    /// The largest output magnitude a product may reach, `2^(63 − fx − fw)`.
    public var headroom: Double { Double(sign: .plus, exponent: 63 - input - weight, significand: 1) }

    /// `fx = …, fw = …`, for messages.
    public var description: String { "fx = \(input), fw = \(weight)" }
}
