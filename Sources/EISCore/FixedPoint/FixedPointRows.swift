/// Whole-matrix fixed-point steps of a hidden round, kept in the core so they run as optimised
/// loops (the core is built with `-O` even in debug builds): a batch of an encoder's token rows
/// is hundreds of thousands of values per round.
public enum FixedPointRows {
    /// Encodes every row of `input` for a product with `weights`, proving each row's product exact.
    ///
    /// - Returns: the encoded elements, with every row that could not be encoded exactly (a value
    ///   not finite or out of range, or a product that could leave Z/2^64's exact range) replaced
    ///   by zeros, and the indices of those rows, ascending.
    public static func encode(
        _ input: Matrix<Double>, codec: FixedPointCodec, weights: EncodedWeights
    ) -> (elements: [Int64], inexactRows: [Int]) {
        var elements = [Int64](repeating: 0, count: input.rows * input.columns)
        var inexact = [Int]()
        let columns = input.columns
        input.elements.withUnsafeBufferPointer { values in
            for row in 0..<input.rows {
                let start = row * columns
                var exact = true
                for column in 0..<columns {
                    guard let encoded = try? codec.encode(values[start + column]) else { exact = false; break }
                    elements[start + column] = encoded
                }
                if exact { exact = weights.productIsExact(for: elements[start..<(start + columns)]) }
                if !exact {
                    for index in start..<(start + columns) { elements[index] = 0 }
                    inexact.append(row)
                }
            }
        }
        return (elements, inexact)
    }

    /// Sums the first `count` elements of every part modulo 2^64 and decodes them, adding
    /// `biasTimes` copies of `bias` to every row of `columns` values.
    ///
    /// - Precondition: every part holds at least `count` elements; `bias`, when given, has
    ///   `columns` values; `count` is a multiple of `columns`.
    public static func combineAndDecode(
        _ parts: [[Int64]], count: Int, columns: Int, codec: FixedPointCodec, bias: [Double]?, biasTimes: Double
    ) -> [Double] {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.count >= count }, "every part must hold the rows to combine")
        precondition(columns > 0 && count % columns == 0, "count must be whole rows")
        var out = [Double](repeating: 0, count: count)
        var sum = [Int64](repeating: 0, count: count)
        for part in parts {
            part.withUnsafeBufferPointer { values in
                for index in 0..<count { sum[index] = sum[index] &+ values[index] }
            }
        }
        let offsets = bias.map { values -> [Double] in
            precondition(values.count == columns, "bias must have one value per column")
            return values.map { $0 * biasTimes }
        } ?? [Double](repeating: 0, count: columns)
        for index in 0..<count { out[index] = codec.decode(sum[index]) + offsets[index % columns] }
        return out
    }
}
