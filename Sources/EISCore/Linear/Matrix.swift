/// A dense row-major matrix.
public struct Matrix<Scalar: Sendable>: Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// `rows × columns` elements, row after row.
    public var elements: [Scalar]

    /// Wraps existing row-major storage.
    ///
    /// - Precondition: `elements.count == rows × columns`.
    public init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(rows >= 0 && columns >= 0, "negative dimension \(rows)×\(columns)")
        precondition(elements.count == rows * columns, "\(elements.count) elements for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// Creates a matrix filled with one value.
    public init(rows: Int, columns: Int, repeating value: Scalar) {
        self.init(rows: rows, columns: columns, elements: [Scalar](repeating: value, count: rows * columns))
    }

    /// The elements of one row.
    public func row(_ index: Int) -> ArraySlice<Scalar> {
        elements[(index * columns)..<((index + 1) * columns)]
    }

    /// The element at (`row`, `column`).
    public subscript(row: Int, column: Int) -> Scalar {
        get { elements[row * columns + column] }
        set { elements[row * columns + column] = newValue }
    }

    /// Applies `transform` to every element.
    public func map<Other>(_ transform: (Scalar) throws -> Other) rethrows -> Matrix<Other> {
        Matrix<Other>(rows: rows, columns: columns, elements: try elements.map(transform))
    }
}

extension Matrix: Equatable where Scalar: Equatable {}
