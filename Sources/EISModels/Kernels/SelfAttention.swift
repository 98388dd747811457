public import EISCore

/// Multi-head scaled dot-product self-attention on a fused QKV value, computed on the gateway.
///
/// `QKᵀ` and `softmax(·)·V` multiply two activations, so no server can compute them on shares of
/// one operand; they stay local and run through OpenBLAS (`dgemm`) one (sequence, head) at a time,
/// reading each head's columns straight out of the fused value through the leading dimension.
public enum SelfAttention {
    /// `softmax(Q Kᵀ / √d + mask) · V` per sequence and head.
    ///
    /// - Parameters:
    ///   - qkv: `[sequences·length, 3·hidden]`: Q, then K, then V, each `hidden` wide (the output
    ///     of the fused linear layer).
    ///   - heads: the number of heads; `hidden` is divided evenly between them.
    ///   - layout: which rows are real tokens. Masked keys get weight exactly 0 (an additive mask of
    ///     −∞), so a real token's result does not depend on how much padding follows it.
    /// - Precondition: `qkv.columns` is `3 · heads · d` and `qkv.rows == layout.rowCount`.
    /// - Returns: `[sequences·length, hidden]`, heads concatenated in order.
    public static func attend(_ qkv: Matrix<Double>, heads: Int, layout: TokenBatch) -> Matrix<Double> {
        precondition(heads > 0 && qkv.columns % (3 * heads) == 0, "fused QKV width \(qkv.columns) is not 3 × \(heads) heads")
        precondition(qkv.rows == layout.rowCount, "\(qkv.rows) rows for \(layout.rowCount) tokens")
        let hidden = qkv.columns / 3, d = hidden / heads, length = layout.length
        let scale = 1 / Double(d).squareRoot()
        var out = [Double](repeating: 0, count: qkv.rows * hidden)
        var scores = [Double](repeating: 0, count: length * length)
        qkv.elements.withUnsafeBufferPointer { fused in
            layout.mask.withUnsafeBufferPointer { mask in
                out.withUnsafeMutableBufferPointer { result in
                    scores.withUnsafeMutableBufferPointer { s in
                        for sequence in 0..<layout.sequences {
                            let keyMask = UnsafeBufferPointer(rebasing: mask[(sequence * length)..<((sequence + 1) * length)])
                            let base = fused.baseAddress! + sequence * length * 3 * hidden
                            for head in 0..<heads {
                                let q = base + head * d, k = q + hidden, v = q + 2 * hidden
                                BLAS.dgemm(.plain, .transposed, m: length, n: length, k: d, alpha: scale,
                                           a: q, lda: 3 * hidden, b: k, ldb: 3 * hidden, beta: 0, c: s.baseAddress!, ldc: length)
                                for i in 0..<length {
                                    LocalKernels.softmaxInPlace(UnsafeMutableBufferPointer(rebasing: s[(i * length)..<((i + 1) * length)]), mask: keyMask)
                                }
                                BLAS.dgemm(.plain, .plain, m: length, n: d, k: length, alpha: 1,
                                           a: s.baseAddress!, lda: length, b: v, ldb: 3 * hidden, beta: 0,
                                           c: result.baseAddress! + sequence * length * hidden + head * d, ldc: hidden)
                            }
                        }
                    }
                }
            }
        }
        return Matrix(rows: qkv.rows, columns: hidden, elements: out)
    }
}
