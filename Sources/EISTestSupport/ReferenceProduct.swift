public import EISCore

/// The reference for `RingKernels.multiply`: `X · Wᵀ mod 2^64` as a naive triple loop in
/// wrapping `Int64` arithmetic, written independently of the kernel under test.
public func referenceWrappingProduct(_ x: Matrix<Int64>, byTransposeOf w: Matrix<Int64>) -> Matrix<Int64> {
    var out = Matrix<Int64>(rows: x.rows, columns: w.rows, repeating: 0)
    for r in 0..<x.rows {
        for o in 0..<w.rows {
            var sum: Int64 = 0
            for j in 0..<x.columns { sum = sum &+ x[r, j] &* w[o, j] }
            out[r, o] = sum
        }
    }
    return out
}
