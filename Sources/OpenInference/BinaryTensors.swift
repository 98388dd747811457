/// Which tensors an encoder sends in the binary tensor data extension instead of JSON.
public enum BinaryTensors: Sendable, Hashable {
    /// Every tensor in JSON: a plain `application/json` body.
    case none
    /// Every tensor as raw bytes after the JSON header.
    case all
    /// Only the tensors with these names (a server honouring per-output `binary_data`).
    case named(Set<String>)

    func contains(_ name: String) -> Bool {
        switch self {
        case .none: false
        case .all: true
        case .named(let names): names.contains(name)
        }
    }
}
