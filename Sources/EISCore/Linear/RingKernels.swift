internal import CEISKernels

/// Matrix kernels over Z/2^64 (wrapping `Int64` arithmetic).
///
/// The work is done by the C target `CEISKernels` (Sources/CEISKernels/RingKernel.c): register-
/// and cache-blocked, with an AVX2 path for Int32 weights chosen at run time and a portable path
/// for every other CPU and for Int64 weights. Every path computes the same exact result.
public enum RingKernels {
    /// The instruction path of the Int32-weight kernel.
    public enum Path: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Plain C, any CPU.
        case portable
        /// x86-64 AVX2: two 32×32→64-bit multiplies per 64-bit multiply-add.
        case avx2

        /// The fastest path this CPU runs.
        public static var best: Path { eis_ring_best_path() == EIS_RING_PATH_AVX2 ? .avx2 : .portable }

        /// The paths this CPU runs (tests run each).
        public static var available: [Path] { allCases.filter(\.isAvailable) }

        /// Whether this CPU runs the path.
        public var isAvailable: Bool {
            switch self {
            case .portable: true
            case .avx2: eis_ring_avx2_available() != 0
            }
        }

        /// `portable` or `avx2`.
        public var description: String {
            switch self {
            case .portable: "portable"
            case .avx2: "avx2"
            }
        }

        fileprivate var c: eis_ring_path { self == .avx2 ? EIS_RING_PATH_AVX2 : EIS_RING_PATH_PORTABLE }
    }

    /// Computes `Y = X · Wᵀ` modulo 2^64: each row of `shares` times the weight matrix.
    ///
    /// Packs `weights` on every call; a caller that multiplies by one matrix repeatedly should keep
    /// a `RingWeights` and use the overload that takes it.
    ///
    /// - Parameters:
    ///   - weights: `W_enc`, shape `[out, in]` (PyTorch `nn.Linear` layout).
    ///   - shares: `X`, shape `[rows, in]`.
    /// - Precondition: `shares.columns == weights.columns`.
    /// - Returns: shape `[rows, out]`.
    public static func multiply(_ shares: Matrix<Int64>, byTransposeOf weights: Matrix<Int64>) -> Matrix<Int64> {
        precondition(shares.columns == weights.columns,
                     "share width \(shares.columns) does not match weight width \(weights.columns)")
        return multiply(shares, byTransposeOf: RingWeights(weights))
    }

    /// Computes `Y = X · Wᵀ` modulo 2^64 on one thread.
    ///
    /// - Parameter path: the instruction path for Int32 weights (clamped to what the CPU runs);
    ///   Int64 weights always take the portable path.
    /// - Precondition: `shares.columns == weights.columns`.
    /// - Returns: shape `[rows, out]`.
    public static func multiply(_ shares: Matrix<Int64>, byTransposeOf weights: RingWeights, path: Path = .best) -> Matrix<Int64> {
        precondition(shares.columns == weights.columns,
                     "share width \(shares.columns) does not match weight width \(weights.columns)")
        let result = [Int64](unsafeUninitializedCapacity: shares.rows * weights.rows) { buffer, count in
            multiply(shares, byTransposeOf: weights, outputs: 0..<weights.rows, into: buffer, path: path)
            count = shares.rows * weights.rows
        }
        return Matrix(rows: shares.rows, columns: weights.rows, elements: result)
    }

    /// Computes the columns `outputs` of `Y = X · Wᵀ` modulo 2^64 into `result`, leaving its other
    /// columns untouched.
    ///
    /// Calls on disjoint output ranges of one result may run concurrently (`KernelRunner` in the
    /// share server splits large products this way).
    ///
    /// - Parameters:
    ///   - result: `Y`, `shares.rows × weights.rows` elements, row-major.
    ///   - path: the instruction path for Int32 weights (clamped to what the CPU runs).
    /// - Precondition: `shares.columns == weights.columns`, `outputs` lies within `0..<weights.rows`,
    ///   and `result.count == shares.rows × weights.rows`.
    public static func multiply(
        _ shares: Matrix<Int64>, byTransposeOf weights: RingWeights, outputs: Range<Int>,
        into result: UnsafeMutableBufferPointer<Int64>, path: Path = .best
    ) {
        precondition(shares.columns == weights.columns,
                     "share width \(shares.columns) does not match weight width \(weights.columns)")
        precondition(outputs.lowerBound >= 0 && outputs.upperBound <= weights.rows,
                     "outputs \(outputs) outside 0..<\(weights.rows)")
        precondition(result.count == shares.rows * weights.rows,
                     "result holds \(result.count) elements, not \(shares.rows)×\(weights.rows)")
        guard !outputs.isEmpty, shares.rows > 0, let y = result.baseAddress else { return }
        shares.elements.withUnsafeBufferPointer { x in
            switch weights.storage {
            case .int32(let w):
                w.withUnsafeBufferPointer { w in
                    eis_ring_multiply_i32(x.baseAddress, shares.rows, shares.columns, w.baseAddress,
                                          outputs.lowerBound, outputs.upperBound, y, weights.rows, path.c)
                }
            case .int64(let w):
                w.withUnsafeBufferPointer { w in
                    eis_ring_multiply_i64(x.baseAddress, shares.rows, shares.columns, w.baseAddress,
                                          outputs.lowerBound, outputs.upperBound, y, weights.rows)
                }
            }
        }
    }
}
