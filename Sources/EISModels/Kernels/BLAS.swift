internal import COpenBLAS

/// Row-major `C = alpha · op(A) · op(B) + beta · C` through OpenBLAS, for the local float work of
/// whole models (attention's activation products, the reference evaluators).
///
/// Leading dimensions are explicit so callers can multiply sub-matrices in place (one attention
/// head's columns of the fused QKV value) without copying them out.
enum BLAS {
    /// Whether an operand is used as stored or transposed.
    enum Operand {
        case plain, transposed

        var cblas: CBLAS_TRANSPOSE { self == .plain ? CblasNoTrans : CblasTrans }
    }

    /// OpenBLAS multiplies on one thread here. The gateway's products are small (one attention
    /// head of one request) and its concurrency comes from requests; OpenBLAS's own threads would
    /// spin (`sched_yield`) against them on a small machine: the MiniLM tests took twice as long
    /// with them. Set once, before the first product.
    private static let oneThread: Void = { openblas_set_num_threads(1) }()

    /// Double-precision GEMM; `a`, `b`, `c` point at the first element of each (sub-)matrix.
    ///
    /// - Precondition: every dimension and leading dimension fits in 32 bits (OpenBLAS's `blasint`).
    static func dgemm(
        _ opA: Operand, _ opB: Operand, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        _ = oneThread
        cblas_dgemm(CblasRowMajor, opA.cblas, opB.cblas, blasInt(m), blasInt(n), blasInt(k), alpha,
                    a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// Single-precision GEMM; see `dgemm`.
    static func sgemm(
        _ opA: Operand, _ opB: Operand, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = oneThread
        cblas_sgemm(CblasRowMajor, opA.cblas, opB.cblas, blasInt(m), blasInt(n), blasInt(k), alpha,
                    a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// `Y = X · Wᵀ` for a batch `X` `[rows, in]` and a weight `W` `[out, in]` (nn.Linear layout).
    static func multiply(_ x: [Double], rows: Int, byTransposeOf w: [Double], outputs: Int, inputs: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outputs)
        guard rows > 0, outputs > 0, inputs > 0 else { return y }
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    dgemm(.plain, .transposed, m: rows, n: outputs, k: inputs, alpha: 1,
                          a: xp.baseAddress!, lda: inputs, b: wp.baseAddress!, ldb: inputs,
                          beta: 0, c: yp.baseAddress!, ldc: outputs)
                }
            }
        }
        return y
    }

    /// `Y = X · Wᵀ` in single precision; see `multiply(_:rows:byTransposeOf:outputs:inputs:)`.
    static func multiply(_ x: [Float], rows: Int, byTransposeOf w: [Float], outputs: Int, inputs: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outputs)
        guard rows > 0, outputs > 0, inputs > 0 else { return y }
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    sgemm(.plain, .transposed, m: rows, n: outputs, k: inputs, alpha: 1,
                          a: xp.baseAddress!, lda: inputs, b: wp.baseAddress!, ldb: inputs,
                          beta: 0, c: yp.baseAddress!, ldc: outputs)
                }
            }
        }
        return y
    }

    private static func blasInt(_ value: Int) -> Int32 {
        guard let narrow = Int32(exactly: value) else { preconditionFailure("BLAS dimension \(value) exceeds 32 bits") }
        return narrow
    }
}
