/// The algebra a sharing lives in. A sharing never mixes arithmetics.
public enum Arithmetic: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Z/2^64 with wrapping two's-complement `Int64` arithmetic: exact, shares uniform.
    case ring64 = 1
    /// IEEE single precision with additive float masks: approximate, and one share leaks a
    /// bounded amount about the input (see `FloatMasking`). For float-only third-party backends.
    case float32 = 2
    /// IEEE double precision with additive float masks (same leakage as `float32`, less error).
    case float64 = 3

    /// The name used in config files and metadata.
    public var description: String {
        switch self {
        case .ring64: "ring64"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    /// The arithmetic with this config name, or nil.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    /// Whether shares are uniform and recombination exact (only the ring).
    public var isExact: Bool { self == .ring64 }
}
