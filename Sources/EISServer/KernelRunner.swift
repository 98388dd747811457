import Dispatch
public import EISCore

/// Runs share products: small ones inline, large ones off the Swift concurrency pool and split
/// over up to `threads` threads.
///
/// A 1024×1024 product over a 128-row batch takes tens of milliseconds; running it inline would
/// block a cooperative thread (DESIGN.md, invariant 6), so it moves to a dispatch queue. Small
/// products run inline, because a thread hop costs more than they do. A product is split only when
/// every part gets at least `workPerThread` multiply-adds, so small requests never wake threads
/// they cannot use; many concurrent requests share the queue, whose width libdispatch keeps to the
/// number of cores.
public struct KernelRunner: Sendable {
    /// Multiply-adds up to which the kernel runs inline on the caller's thread (~0.2 ms of work).
    static let inlineLimit = 1 << 20
    /// Multiply-adds each part of a split product must get (~0.2 ms, against tens of µs to hand
    /// work to a thread).
    public static let workPerThread = 1 << 20
    /// Results per row a part covers at least (a cache line of Int64s), so parts never share a line.
    static let outputsPerLine = 8

    /// The most threads one product uses.
    public let threads: Int
    private let queue = DispatchQueue(label: "eis.server.kernels", attributes: .concurrent)

    /// Creates a runner.
    ///
    /// - Precondition: `threads >= 1`.
    public init(threads: Int) {
        precondition(threads >= 1, "a kernel needs at least one thread, got \(threads)")
        self.threads = threads
    }

    /// `shares · Wᵀ` mod 2^64, without blocking the Swift concurrency pool for long.
    func multiply(_ shares: Matrix<Int64>, by weights: RingWeights) async -> Matrix<Int64> {
        if shares.rows * shares.columns * weights.rows <= Self.inlineLimit {
            return RingKernels.multiply(shares, byTransposeOf: weights)
        }
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.multiplyBlocking(shares, by: weights))
            }
        }
    }

    /// `shares · Wᵀ` mod 2^64 on the calling thread and up to `threads − 1` others.
    ///
    /// Blocks until the product is done: call it from a dispatch queue or a plain thread, never
    /// from a Swift concurrency thread (the benchmark calls it directly).
    /// - Precondition: `shares.columns == weights.columns`.
    public func multiplyBlocking(_ shares: Matrix<Int64>, by weights: RingWeights, path: RingKernels.Path = .best) -> Matrix<Int64> {
        let parts = Self.partition(outputs: weights.rows, work: shares.rows * shares.columns * weights.rows, threads: threads)
        guard parts.count > 1 else { return RingKernels.multiply(shares, byTransposeOf: weights, path: path) }
        let count = shares.rows * weights.rows
        let elements = [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Each part writes only its own columns of the result.
            let result = SharedResult(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: parts.count) { part in
                RingKernels.multiply(shares, byTransposeOf: weights, outputs: parts[part], into: result.buffer, path: path)
            }
            initialized = count
        }
        return Matrix(rows: shares.rows, columns: weights.rows, elements: elements)
    }

    /// The output ranges a product is split into: one per thread at most, each with at least
    /// `workPerThread` multiply-adds and `outputsPerLine` outputs, boundaries on multiples of
    /// `outputsPerLine`, covering `0..<outputs` in order.
    static func partition(outputs: Int, work: Int, threads: Int) -> [Range<Int>] {
        let parts = max(1, min(threads, work / workPerThread, outputs / outputsPerLine))
        var ranges = [Range<Int>]()
        var start = 0
        for part in 1...parts {
            let share = outputs * part / parts
            let end = part == parts ? outputs : (share + outputsPerLine - 1) / outputsPerLine * outputsPerLine
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }
}

/// The result buffer that a split product's parts write to, each into its own columns.
///
/// `@unchecked Sendable`: no lock; the parts' output ranges are disjoint (`KernelRunner.partition`)
/// and `concurrentPerform` returns only when every part is done, so no element is written twice
/// or read while written.
private struct SharedResult: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Int64>
}
