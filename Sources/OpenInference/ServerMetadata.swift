/// An Open Inference Protocol server metadata answer (`GET /v2`).
public struct ServerMetadata: Sendable, Hashable {
    /// The server's name.
    public var name: String
    /// Its version.
    public var version: String
    /// The protocol extensions it supports, e.g. `binary_tensor_data`.
    public var extensions: [String]

    /// Creates metadata.
    public init(name: String, version: String, extensions: [String]) {
        self.name = name
        self.version = version
        self.extensions = extensions
    }

    /// Encodes the metadata as JSON.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"name\":")
        writer.string(name)
        writer.raw(",\"version\":")
        writer.string(version)
        writer.raw(",\"extensions\":[")
        for (index, name) in extensions.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(name)
        }
        writer.raw("]}")
        return writer.bytes
    }
}
