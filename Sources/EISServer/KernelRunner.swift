import Dispatch
import EISCore

/// Runs share products off the Swift concurrency pool when they are large.
///
/// A 1024×1024 product over a 128-row batch takes tens of milliseconds; running it inline would
/// block a cooperative thread (DESIGN.md, invariant 6). Small products run inline, because a
/// thread hop costs more than they do.
struct KernelRunner: Sendable {
    /// Multiply-adds above which the kernel moves to its own queue (~1 ms of work).
    static let inlineLimit = 1 << 20
    private let queue = DispatchQueue(label: "eis.server.kernels", attributes: .concurrent)

    /// `shares · Wᵀ` mod 2^64.
    func multiply(_ shares: Matrix<Int64>, by weights: EncodedWeights) async -> Matrix<Int64> {
        let work = shares.rows * shares.columns * weights.matrix.rows
        if work <= Self.inlineLimit {
            return RingKernels.multiply(shares, byTransposeOf: weights.matrix)
        }
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: RingKernels.multiply(shares, byTransposeOf: weights.matrix))
            }
        }
    }
}
