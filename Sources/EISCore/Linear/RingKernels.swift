/// Matrix kernels over Z/2^64 (wrapping `Int64` arithmetic).
public enum RingKernels {
    /// Computes `Y = X · Wᵀ` modulo 2^64: each row of `shares` times the weight matrix.
    ///
    /// The loop nest keeps one weight row hot in cache while it meets every batch row, so a batch
    /// costs one pass over W; the inner dot product runs on four independent SIMD accumulators
    /// over contiguous memory so the compiler can vectorise it.
    ///
    /// - Parameters:
    ///   - weights: `W_enc`, shape `[out, in]` (PyTorch `nn.Linear` layout).
    ///   - shares: `X`, shape `[rows, in]`.
    /// - Precondition: `shares.columns == weights.columns`.
    /// - Returns: shape `[rows, out]`.
    public static func multiply(_ shares: Matrix<Int64>, byTransposeOf weights: Matrix<Int64>) -> Matrix<Int64> {
        precondition(shares.columns == weights.columns,
                     "share width \(shares.columns) does not match weight width \(weights.columns)")
        let rows = shares.rows, outputs = weights.rows, width = weights.columns
        var result = [Int64](repeating: 0, count: rows * outputs)
        weights.elements.withUnsafeBufferPointer { w in
            shares.elements.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    for o in 0..<outputs {
                        let wRow = UnsafeBufferPointer(rebasing: w[(o * width)..<((o + 1) * width)])
                        for r in 0..<rows {
                            let xRow = UnsafeBufferPointer(rebasing: x[(r * width)..<((r + 1) * width)])
                            y[r * outputs + o] = wrappingDot(wRow, xRow)
                        }
                    }
                }
            }
        }
        return Matrix(rows: rows, columns: outputs, elements: result)
    }

    /// Σ a[i]·b[i] modulo 2^64.
    @inline(__always)
    static func wrappingDot(_ a: UnsafeBufferPointer<Int64>, _ b: UnsafeBufferPointer<Int64>) -> Int64 {
        let count = a.count
        var acc0 = SIMD4<Int64>(), acc1 = SIMD4<Int64>()
        var i = 0
        if let pa = a.baseAddress, let pb = b.baseAddress {
            let rawA = UnsafeRawPointer(pa), rawB = UnsafeRawPointer(pb)
            while i + 8 <= count {
                let a0 = rawA.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Int64>.self)
                let b0 = rawB.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Int64>.self)
                let a1 = rawA.loadUnaligned(fromByteOffset: (i + 4) * 8, as: SIMD4<Int64>.self)
                let b1 = rawB.loadUnaligned(fromByteOffset: (i + 4) * 8, as: SIMD4<Int64>.self)
                acc0 &+= a0 &* b0
                acc1 &+= a1 &* b1
                i += 8
            }
        }
        let lanes = acc0 &+ acc1
        var sum = lanes[0] &+ lanes[1] &+ lanes[2] &+ lanes[3]
        while i < count {
            sum = sum &+ a[i] &* b[i]
            i += 1
        }
        return sum
    }
}
