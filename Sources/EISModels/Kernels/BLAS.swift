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

    /// `Y = X · Wᵀ` for a batch `X` `[rows, in]` and a weight `W` `[out, in]` (nn.Linear layout),
    /// in the precision of `Scalar`.
    static func multiply<Scalar: BLASScalar>(_ x: [Scalar], rows: Int, byTransposeOf w: [Scalar], outputs: Int, inputs: Int) -> [Scalar] {
        var y = [Scalar](repeating: 0, count: rows * outputs)
        guard rows > 0, outputs > 0, inputs > 0 else { return y }
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    Scalar.gemm(.plain, .transposed, m: rows, n: outputs, k: inputs, alpha: 1,
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

/// A floating-point type OpenBLAS multiplies: `Double` (dgemm) or `Float` (sgemm).
protocol BLASScalar: BinaryFloatingPoint {
    /// Row-major GEMM in this precision.
    static func gemm(
        _ opA: BLAS.Operand, _ opB: BLAS.Operand, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Double: BLASScalar {
    static func gemm(
        _ opA: BLAS.Operand, _ opB: BLAS.Operand, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLAS.dgemm(opA, opB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Float: BLASScalar {
    static func gemm(
        _ opA: BLAS.Operand, _ opB: BLAS.Operand, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.sgemm(opA, opB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
