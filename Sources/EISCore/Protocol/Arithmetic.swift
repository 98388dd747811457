/// The algebra a sharing lives in. A sharing never mixes arithmetics.
public enum Arithmetic: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Z/2^64 with wrapping two's-complement `Int64` arithmetic: exact, shares uniform.
    case ring64 = 1

    /// The name used in config files and metadata.
    public var description: String {
        switch self {
        case .ring64: "ring64"
        }
    }
}
