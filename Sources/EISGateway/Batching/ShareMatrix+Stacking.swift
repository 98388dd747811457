import EISBackend
import EISCore

extension ShareMatrix {
    /// The rows of `parts`, one after another, as one matrix.
    ///
    /// - Precondition: `parts` is non-empty and every part has the same element type and width.
    static func stacking(_ parts: [ShareMatrix]) -> ShareMatrix {
        precondition(!parts.isEmpty, "nothing to stack")
        if parts.count == 1 { return parts[0] }
        let columns = parts[0].columns
        let rows = parts.reduce(0) { $0 + $1.rows }
        switch parts[0] {
        case .ring:
            var elements = [Int64]()
            elements.reserveCapacity(rows * columns)
            for part in parts {
                guard case .ring(let matrix) = part, matrix.columns == columns else { preconditionFailure("mixed parts") }
                elements.append(contentsOf: matrix.elements)
            }
            return .ring(Matrix(rows: rows, columns: columns, elements: elements))
        case .real:
            var elements = [Double]()
            elements.reserveCapacity(rows * columns)
            for part in parts {
                guard case .real(let matrix) = part, matrix.columns == columns else { preconditionFailure("mixed parts") }
                elements.append(contentsOf: matrix.elements)
            }
            return .real(Matrix(rows: rows, columns: columns, elements: elements))
        }
    }
}
