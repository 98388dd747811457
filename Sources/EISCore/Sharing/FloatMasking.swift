/// Additive masking over the reals, for backends that only compute in floating point.
///
/// `x` becomes `k` shares `x̃ = s₁ + … + s_k`, where `x̃` is `x` rounded to a `FloatMaskGrid`:
/// the first `k − 1` shares are masks drawn uniformly from the grid points in `[−R, R]` and the
/// last is `x̃` minus their sum. All of it is integer arithmetic on grid indices, so every share
/// is exact in the backends' float format and no low-order bit depends on `x` (masks drawn as
/// arbitrary Doubles and subtracted in Double leaked `x` through the rounding of `x − m`).
/// Unlike `AdditiveSharing` this is still NOT perfectly private: the last share is `x̃` shifted
/// by bounded noise, so it carries information about `x`.
///
/// Leakage bound (one backend, holding any one share): for two inputs the statistical distance
/// between the distributions of what it sees is at most `‖x̃ − x̃′‖₁ / (2R)` (precisely,
/// `FloatMaskGrid.advantageBound`), so no test a backend runs can tell the two apart with an
/// advantage above that. (For `k = 2` the last share is uniform on the grid points of the box
/// `x̃ + [−R, R]^d`, and two such boxes differ in at most that fraction of their points; for
/// `k > 2`, condition on the extra masks and the same bound holds.)
///
/// Reconstruction error: the input is rounded to the grid (at most half a spacing), and each
/// backend computes `W·sᵢ` in its own precision, with a rounding error proportional to `|sᵢ|`,
/// so the error grows with `R` (see `reconstructionErrorBound`). Larger `R` leaks less and errs
/// more: that trade-off is why the ring is the default.
public enum FloatMasking {
    /// Splits `secret` into `grid.shares` shares on `grid`: masks uniform over the grid points
    /// in `[−R, R]` from `generator`, the last share the rounded secret minus their sum.
    ///
    /// - Precondition: every `|secret[i]| ≤ grid.inputLimit` (the gateway refuses larger inputs).
    public static func split(
        _ secret: [Double], grid: FloatMaskGrid, using generator: inout some RandomNumberGenerator
    ) -> [[Double]] {
        var shares = [[Double]]()
        shares.reserveCapacity(grid.shares)
        // Grid indices: |last| ≤ k·steps ≤ 2^significandBits, so nothing here can overflow.
        var last = secret.map(grid.gridIndex(of:))
        for _ in 0..<(grid.shares - 1) {
            var share = [Double](repeating: 0, count: secret.count)
            for index in share.indices {
                let mask = Int64.random(in: -grid.steps...grid.steps, using: &generator)
                share[index] = Double(mask) * grid.spacing
                last[index] -= mask
            }
            shares.append(share)
        }
        shares.append(last.map { Double($0) * grid.spacing })
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

    /// A worst-case bound on `|ŷ − W·x|` for one output, when every backend multiplies its share
    /// in the grid's float format (unit roundoff `u = 2^-significandBits`: 2^-24 for float32,
    /// 2^-53 for float64) and the gateway sums in Double.
    ///
    /// Rounding the input to the grid costs at most `Σ_j |w_j| · spacing / 2`. Every share element
    /// is below `maxShare = (k − 1)·R + max|x|` in magnitude and exact in the backend's format; a
    /// dot product of length `d` computed in floats errs by at most `γ_d · Σ_j |w_j| · maxShare`
    /// with `γ_n = n·u / (1 − n·u)` (Higham, Accuracy and Stability of Numerical Algorithms,
    /// §3.1; `γ_{d+1}` is used, a margin for a backend that converts its weights), and `k` such
    /// products are summed.
    ///
    /// - Parameters:
    ///   - rowL1: `max_i Σ_j |W_ij|` of the layer.
    ///   - inputs: the layer's input width `d`.
    ///   - grid: the masking grid (`k`, `R` and the backends' format).
    ///   - maxInput: the largest `|x_j|` expected.
    public static func reconstructionErrorBound(rowL1: Double, inputs: Int, grid: FloatMaskGrid, maxInput: Double) -> Double {
        let unitRoundoff = Double(sign: .plus, exponent: -grid.significandBits, significand: 1)
        let n = Double(inputs + 1) * unitRoundoff
        let gamma = n / (1 - n)
        let maxShare = Double(grid.shares - 1) * grid.inputLimit + maxInput
        return Double(grid.shares) * gamma * rowL1 * maxShare + rowL1 * grid.spacing / 2
    }
}
