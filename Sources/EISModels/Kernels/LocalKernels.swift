public import EISCore
internal import Foundation

/// The gateway's local (non-linear) operations on activations, in Double.
///
/// Each works on a row-major `Matrix<Double>` whose rows are tokens or batch rows; none of them
/// touches a server. Row-wise operations are stable for large magnitudes (softmax subtracts the
/// row maximum, sigmoid never exponentiates a large positive number).
public enum LocalKernels {
    /// `max(0, x)` element-wise.
    public static func relu(_ x: Matrix<Double>) -> Matrix<Double> {
        elementwise(x) { $0 > 0 ? $0 : 0 }
    }

    /// The exact GELU, `x · Φ(x) = ½ · x · (1 + erf(x / √2))`, not the tanh approximation: BERT's
    /// `hidden_act = "gelu"` is this form, and the approximation misses the accuracy goal.
    public static func gelu(_ x: Matrix<Double>) -> Matrix<Double> {
        elementwise(x) { 0.5 * $0 * (1 + erf($0 * 0.70710678118654752440)) }
    }

    /// `tanh` element-wise.
    public static func tanh(_ x: Matrix<Double>) -> Matrix<Double> {
        elementwise(x) { Foundation.tanh($0) }
    }

    /// The logistic function element-wise, written so no large positive number is exponentiated.
    public static func sigmoid(_ x: Matrix<Double>) -> Matrix<Double> {
        elementwise(x) { value in
            if value >= 0 { return 1 / (1 + exp(-value)) }
            let e = exp(value)
            return e / (1 + e)
        }
    }

    /// `f` applied to every element in place of a copy. A loop here rather than `Matrix.map`,
    /// which is generic across the module boundary and costs an unspecialised call per element
    /// (measured: ~8 % of a whole MiniLM pass).
    @inline(__always)
    private static func elementwise(_ x: Matrix<Double>, _ f: (Double) -> Double) -> Matrix<Double> {
        var out = x
        out.elements.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = f(buffer[i]) }
        }
        return out
    }

    /// Row-wise softmax, stable: each row's maximum is subtracted before exponentiating.
    public static func softmax(_ x: Matrix<Double>) -> Matrix<Double> {
        var out = x
        let width = x.columns
        out.elements.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<x.rows {
                softmaxInPlace(UnsafeMutableBufferPointer(rebasing: buffer[(r * width)..<((r + 1) * width)]), mask: nil)
            }
        }
        return out
    }

    /// Softmax of one row in place; entries whose `mask` is false get exactly 0 (an additive
    /// mask of −∞), and a row with no unmasked entry becomes all zeros rather than NaN.
    static func softmaxInPlace(_ row: UnsafeMutableBufferPointer<Double>, mask: UnsafeBufferPointer<Bool>?) {
        var maximum = -Double.infinity
        for j in row.indices where mask?[j] ?? true { maximum = max(maximum, row[j]) }
        guard maximum > -.infinity else {
            for j in row.indices { row[j] = 0 }
            return
        }
        var sum = 0.0
        for j in row.indices {
            if mask?[j] ?? true {
                let e = exp(row[j] - maximum)
                row[j] = e
                sum += e
            } else {
                row[j] = 0
            }
        }
        let inverse = 1 / sum
        for j in row.indices { row[j] *= inverse }
    }

    /// Layer normalisation of every row: `(x − mean) / √(var + eps) · gamma + beta`, with the
    /// population variance (PyTorch's `nn.LayerNorm`).
    ///
    /// - Precondition: `parameters.width == x.columns`.
    public static func layerNorm(_ x: Matrix<Double>, _ parameters: LayerNormParameters) -> Matrix<Double> {
        precondition(parameters.width == x.columns, "layer norm of width \(parameters.width) on \(x.columns) columns")
        var out = x
        let width = x.columns
        let gamma = parameters.gamma, beta = parameters.beta
        out.elements.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<x.rows {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[(r * width)..<((r + 1) * width)])
                var mean = 0.0
                for value in row { mean += value }
                mean /= Double(width)
                var variance = 0.0
                for value in row { variance += (value - mean) * (value - mean) }
                variance /= Double(width)
                let inverse = 1 / (variance + parameters.epsilon).squareRoot()
                for j in 0..<width { row[j] = (row[j] - mean) * inverse * gamma[j] + beta[j] }
            }
        }
        return out
    }

    /// Element-wise `a + b` (a residual connection).
    ///
    /// - Precondition: equal shapes.
    public static func add(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        precondition(a.rows == b.rows && a.columns == b.columns, "adding \(a.rows)×\(a.columns) to \(b.rows)×\(b.columns)")
        var out = a
        for i in out.elements.indices { out.elements[i] += b.elements[i] }
        return out
    }

    /// Word + position + token-type embeddings of a padded token batch: row `s·length + t` is
    /// `word[ids[s][t]] + position[t] + tokenType[typeIds[s][t]]` (padding rows included, so
    /// every round has the bucket's shape).
    ///
    /// - Throws: `ModelRunError.invalidInput` for an id outside a table.
    public static func embed(_ tokens: TokenBatch, _ tables: EmbeddingTables) throws(ModelRunError) -> Matrix<Double> {
        let width = tables.width
        guard tokens.length <= tables.position.rows else {
            throw .invalidInput("sequence length \(tokens.length) exceeds the model's \(tables.position.rows) positions")
        }
        var out = [Double](repeating: 0, count: tokens.rowCount * width)
        for row in 0..<tokens.rowCount {
            let id = tokens.ids[row], type = tokens.typeIds[row], position = row % tokens.length
            guard id >= 0, id < tables.word.rows else {
                throw .invalidInput("token id \(id) at sequence \(row / tokens.length), position \(position) is outside the vocabulary of \(tables.word.rows)")
            }
            guard type >= 0, type < tables.tokenType.rows else {
                throw .invalidInput("token type \(type) at sequence \(row / tokens.length), position \(position) is outside the \(tables.tokenType.rows) token types")
            }
            for j in 0..<width {
                out[row * width + j] = tables.word[id, j] + tables.position[position, j] + tables.tokenType[type, j]
            }
        }
        return Matrix(rows: tokens.rowCount, columns: width, elements: out)
    }

    /// The mean of each sequence's real (unmasked) token rows: `[sequences·length, w]` → `[sequences, w]`.
    ///
    /// - Precondition: `x.rows == layout.rowCount`.
    public static func meanPool(_ x: Matrix<Double>, _ layout: TokenBatch) -> Matrix<Double> {
        precondition(x.rows == layout.rowCount, "\(x.rows) rows for \(layout.rowCount) tokens")
        let width = x.columns
        var out = [Double](repeating: 0, count: layout.sequences * width)
        for s in 0..<layout.sequences {
            var count = 0
            for t in 0..<layout.length where layout.mask[s * layout.length + t] {
                count += 1
                let base = (s * layout.length + t) * width
                for j in 0..<width { out[s * width + j] += x.elements[base + j] }
            }
            let inverse = 1 / Double(max(count, 1))
            for j in 0..<width { out[s * width + j] *= inverse }
        }
        return Matrix(rows: layout.sequences, columns: width, elements: out)
    }

    /// Each row divided by its Euclidean norm (at least 1e-12, as PyTorch's `F.normalize`).
    public static func l2Normalize(_ x: Matrix<Double>) -> Matrix<Double> {
        var out = x
        let width = x.columns
        for r in 0..<x.rows {
            var sum = 0.0
            for j in 0..<width { sum += x.elements[r * width + j] * x.elements[r * width + j] }
            let inverse = 1 / max(sum.squareRoot(), 1e-12)
            for j in 0..<width { out.elements[r * width + j] *= inverse }
        }
        return out
    }
}
