/// `W_enc` as the ring kernels read it: Int32 when every element fits, Int64 otherwise.
///
/// Real layers at the default fractional bits fit in Int32 (|w| < 2^31 means |W| < 2^(31−fw)),
/// and 32-bit weights halve the bytes a product reads and let AVX2 multiply with its 32×32→64-bit
/// instructions. A layer with one larger element keeps all of them as Int64, so the product is the
/// same either way. The choice is made once, when the layer is loaded.
public struct RingWeights: Sendable {
    /// The stored elements, row-major `[rows, columns]`.
    public enum Storage: Sendable, Equatable {
        /// Every element fits in 32 bits.
        case int32([Int32])
        /// At least one element needs 64 bits.
        case int64([Int64])
    }

    /// Number of rows (the layer's outputs).
    public let rows: Int
    /// Number of columns (the layer's inputs).
    public let columns: Int
    /// The elements, as narrow as they fit.
    public let storage: Storage

    /// Stores `matrix` as Int32 when every element fits, else as Int64.
    public init(_ matrix: Matrix<Int64>) {
        let narrow = matrix.elements.allSatisfy { Int64(Int32.min) <= $0 && $0 <= Int64(Int32.max) }
        self.init(rows: matrix.rows, columns: matrix.columns,
                  storage: narrow ? .int32(matrix.elements.map { Int32(truncatingIfNeeded: $0) }) : .int64(matrix.elements))
    }

    /// Stores `matrix` as Int64 whatever its values: the fallback path, for tests and benchmarks.
    public init(keepingInt64 matrix: Matrix<Int64>) {
        self.init(rows: matrix.rows, columns: matrix.columns, storage: .int64(matrix.elements))
    }

    private init(rows: Int, columns: Int, storage: Storage) {
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Whether the elements are stored as Int32.
    public var isNarrow: Bool {
        if case .int32 = storage { return true }
        return false
    }

    /// The elements widened to Int64: a copy of `rows × columns` words, for references and tests.
    public var matrix: Matrix<Int64> {
        switch storage {
        case .int32(let elements): Matrix(rows: rows, columns: columns, elements: elements.map(Int64.init))
        case .int64(let elements): Matrix(rows: rows, columns: columns, elements: elements)
        }
    }
}
