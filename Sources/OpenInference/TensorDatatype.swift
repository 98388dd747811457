/// A tensor element type of the Open Inference Protocol, by its wire name.
///
/// Every name the protocol defines parses, so an unsupported one (INT32, BYTES, …) can be named
/// in an error; only `int64`, `fp32` and `fp64` carry data in this module (`isSupported`).
public enum TensorDatatype: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bool = "BOOL"
    case uint8 = "UINT8"
    case uint16 = "UINT16"
    case uint32 = "UINT32"
    case uint64 = "UINT64"
    case int8 = "INT8"
    case int16 = "INT16"
    case int32 = "INT32"
    case int64 = "INT64"
    case fp16 = "FP16"
    case fp32 = "FP32"
    case fp64 = "FP64"
    case bytes = "BYTES"

    public var description: String { rawValue }

    /// Whether tensors of this type can be decoded and encoded here.
    public var isSupported: Bool { self == .int64 || self == .fp32 || self == .fp64 }

    /// The supported datatypes, for error messages.
    public static let supported: [TensorDatatype] = [.int64, .fp32, .fp64]

    /// Parses a wire name and requires a supported type.
    ///
    /// - Throws: `.unsupported` naming the datatype and what is supported, or `.malformed` for a
    ///   name the protocol does not define.
    static func supported(named name: String, tensor: String) throws(OpenInferenceError) -> TensorDatatype {
        guard let datatype = TensorDatatype(rawValue: name) else {
            throw .malformed("tensor '\(tensor)': unknown datatype '\(name.prefix(32))'")
        }
        guard datatype.isSupported else {
            throw .unsupported("tensor '\(tensor)': datatype \(name) is not supported (supported: \(supported.map(\.rawValue).joined(separator: ", ")))")
        }
        return datatype
    }
}
