public import EISCore

/// A matrix of shares or partial results in the arithmetic of its sharing.
public enum ShareMatrix: Sendable {
    /// Ring elements of Z/2^64 (`ring64`).
    case ring(Matrix<Int64>)
    /// Real numbers (`float32` and `float64` sharings; a float32 backend rounds them on the wire).
    case real(Matrix<Double>)

    /// Number of rows.
    public var rows: Int {
        switch self {
        case .ring(let matrix): matrix.rows
        case .real(let matrix): matrix.rows
        }
    }

    /// Number of columns.
    public var columns: Int {
        switch self {
        case .ring(let matrix): matrix.columns
        case .real(let matrix): matrix.columns
        }
    }

    /// Whether the elements are ring elements (as `ring64` needs) or reals (as the float arithmetics need).
    public func fits(_ arithmetic: Arithmetic) -> Bool {
        switch self {
        case .ring: arithmetic == .ring64
        case .real: arithmetic != .ring64
        }
    }
}
