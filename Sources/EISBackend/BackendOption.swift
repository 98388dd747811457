/// A plugin-specific setting from a backend's `options` table in gateway.conf.
public enum BackendOption: Sendable, Hashable, CustomStringConvertible {
    /// A string.
    case string(String)
    /// An integer.
    case int(Int)
    /// A float.
    case double(Double)
    /// A boolean.
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .bool(let value): "\(value)"
        }
    }
}

/// A backend's plugin-specific settings, with typed accessors that explain a wrong type.
public struct BackendOptions: Sendable, Hashable {
    /// The raw values by key.
    public var values: [String: BackendOption]

    /// Wraps raw values.
    public init(_ values: [String: BackendOption] = [:]) {
        self.values = values
    }

    /// The string at `key`, nil when absent.
    ///
    /// - Throws: `BackendError.unsupported` when the value is not a string.
    public func string(_ key: String) throws(BackendError) -> String? {
        switch values[key] {
        case nil: return nil
        case .string(let value): return value
        case let other?: throw .unsupported("option \(key) = \(other): expected a string")
        }
    }

    /// The boolean at `key`, nil when absent.
    ///
    /// - Throws: `BackendError.unsupported` when the value is not a boolean.
    public func bool(_ key: String) throws(BackendError) -> Bool? {
        switch values[key] {
        case nil: return nil
        case .bool(let value): return value
        case let other?: throw .unsupported("option \(key) = \(other): expected true or false")
        }
    }

    /// The integer at `key`, nil when absent.
    ///
    /// - Throws: `BackendError.unsupported` when the value is not an integer.
    public func int(_ key: String) throws(BackendError) -> Int? {
        switch values[key] {
        case nil: return nil
        case .int(let value): return value
        case let other?: throw .unsupported("option \(key) = \(other): expected an integer")
        }
    }
}
