/// The elements of one tensor, flattened in row-major order, in their wire type.
public enum TensorData: Sendable, Hashable {
    /// `INT64` elements (exact over the whole Int64 range, in JSON too).
    case int64([Int64])
    /// `FP32` elements.
    case fp32([Float])
    /// `FP64` elements.
    case fp64([Double])

    /// Number of elements.
    public var count: Int {
        switch self {
        case .int64(let values): values.count
        case .fp32(let values): values.count
        case .fp64(let values): values.count
        }
    }

    /// The wire datatype.
    public var datatype: TensorDatatype {
        switch self {
        case .int64: .int64
        case .fp32: .fp32
        case .fp64: .fp64
        }
    }
}
