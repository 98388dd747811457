public import CurlTransport

/// Makes backends of one kind from their configuration.
public protocol BackendFactory: Sendable {
    /// The `kind` name used in gateway.conf, e.g. `eis`.
    var kind: String { get }
    /// Creates a backend that talks through `client`.
    func makeBackend(endpoint: BackendEndpoint, client: CurlHTTPClient) throws(BackendError) -> any Backend
}

/// The plugin registry: a value that maps kind names to factories.
///
/// Built once in one place (`BackendRegistry.standard` in EISGateway) and passed down, in the
/// spirit of swift-log's bootstrap but without a global: tests build their own.
public struct BackendRegistry: Sendable {
    private var factories: [String: any BackendFactory] = [:]

    /// An empty registry.
    public init() {}

    /// Adds a factory.
    ///
    /// - Precondition: no factory of the same kind is registered yet.
    public mutating func register(_ factory: any BackendFactory) {
        precondition(factories[factory.kind] == nil, "backend kind '\(factory.kind)' registered twice")
        factories[factory.kind] = factory
    }

    /// Registered kind names, sorted.
    public var kinds: [String] { factories.keys.sorted() }

    /// Creates a backend for an endpoint.
    ///
    /// - Throws: `BackendError.unsupported` for an unknown kind.
    public func makeBackend(endpoint: BackendEndpoint, client: CurlHTTPClient) throws(BackendError) -> any Backend {
        guard let factory = factories[endpoint.kind] else {
            throw .unsupported("unknown backend kind '\(endpoint.kind)' (known: \(kinds.joined(separator: ", ")))")
        }
        return try factory.makeBackend(endpoint: endpoint, client: client)
    }
}
