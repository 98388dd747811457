/// Additive masking over the reals, for backends that only compute in floating point.
///
/// `x` becomes `k` shares `x = s₁ + … + s_k`: the first `k − 1` are drawn uniformly from
/// `[−R, R]` and the last is `x` minus their sum. Unlike `AdditiveSharing` this is NOT perfectly
/// private: the last share is `x` shifted by bounded noise, so it carries information about `x`.
///
/// Leakage bound (one backend, holding any one share): for two inputs `x`, `x′` the statistical
/// distance between the distributions of what it sees is at most `‖x − x′‖₁ / (2R)`, so no test
/// a backend runs can tell the two apart with an advantage above that. (For `k = 2` the last share
/// is uniform on the box `x + [−R, R]^d`, and two such boxes differ in at most that fraction of
/// their volume; for `k > 2`, condition on the extra masks and the same bound holds.)
///
/// Reconstruction error: each backend computes `W·sᵢ` in its own precision, with a rounding
/// error proportional to `|sᵢ|`, so the error grows with `R` (see `reconstructionErrorBound`).
/// Larger `R` leaks less and errs more: that trade-off is why the ring is the default.
public enum FloatMasking {
    /// Splits `secret` into `count` shares with masks uniform in `[−range, range]`.
    ///
    /// - Precondition: `count ≥ 2`, `range > 0` and finite.
    public static func split(
        _ secret: [Double], into count: Int, range: Double, using generator: inout some RandomNumberGenerator
    ) -> [[Double]] {
        precondition(count >= 2, "masking needs at least 2 shares, got \(count)")
        precondition(range > 0 && range.isFinite, "mask range must be positive and finite, got \(range)")
        var shares = [[Double]]()
        shares.reserveCapacity(count)
        var last = secret
        for _ in 0..<(count - 1) {
            var share = [Double](repeating: 0, count: secret.count)
            for index in share.indices {
                let mask = uniform(in: range, using: &generator)
                share[index] = mask
                last[index] -= mask
            }
            shares.append(share)
        }
        shares.append(last)
        return shares
    }

    /// Sums shares (or partial results) element-wise.
    ///
    /// - Precondition: at least one part, all of equal length.
    public static func combine(_ parts: [[Double]]) -> [Double] {
        precondition(!parts.isEmpty, "combine needs at least one part")
        var sum = parts[0]
        for part in parts.dropFirst() {
            precondition(part.count == sum.count, "parts differ in length: \(part.count) vs \(sum.count)")
            for index in sum.indices { sum[index] += part[index] }
        }
        return sum
    }

    /// The largest distinguishing advantage one backend can have between two inputs whose
    /// L1 distance is `l1Distance`: `min(1, l1Distance / (2 · range))`.
    public static func advantageBound(l1Distance: Double, range: Double) -> Double {
        min(1, l1Distance / (2 * range))
    }

    /// A worst-case bound on `|ŷ − W·x|` for one output, when every backend multiplies its share
    /// in a float format with unit roundoff `unitRoundoff` (2^-24 for float32, 2^-53 for float64)
    /// and the gateway sums in Double.
    ///
    /// Every share element is below `maxShare = (k − 1)·R + max|x|` in magnitude; a dot product of
    /// length `d` computed in floats errs by at most `γ_{d+1} · Σ_j |w_j| · maxShare` with
    /// `γ_n = n·u / (1 − n·u)` (Higham, Accuracy and Stability of Numerical Algorithms, §3.1; the
    /// `+1` covers rounding the share itself to the backend's format), and `k` such products
    /// are summed.
    ///
    /// - Parameters:
    ///   - rowL1: `max_i Σ_j |W_ij|` of the layer.
    ///   - inputs: the layer's input width `d`.
    ///   - shares: `k`.
    ///   - range: `R`.
    ///   - maxInput: the largest `|x_j|` expected.
    public static func reconstructionErrorBound(
        rowL1: Double, inputs: Int, shares: Int, range: Double, maxInput: Double, unitRoundoff: Double
    ) -> Double {
        let n = Double(inputs + 1) * unitRoundoff
        let gamma = n / (1 - n)
        let maxShare = Double(shares - 1) * range + maxInput
        return Double(shares) * gamma * rowL1 * maxShare
    }

    /// A uniform Double in `[−range, range]` from 53 random bits.
    @inline(__always)
    static func uniform(in range: Double, using generator: inout some RandomNumberGenerator) -> Double {
        let unit = Double(generator.next() >> 11) * 0x1p-53   // uniform in [0, 1)
        return (unit * 2 - 1) * range
    }
}
