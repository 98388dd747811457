
/// Makes backends of one kind from their configuration.
public protocol BackendFactory: Sendable {
    /// The `kind` name used in gateway.conf, e.g. `eis`.
    var kind: String { get }
    /// The keys this kind accepts in a backend's `options` table; others are configuration errors.
    var optionKeys: Set<String> { get }
    /// Creates a backend that talks through `transport`.
    ///
    /// - Throws: `BackendError.unsupported` for an option value it cannot use.
    func makeBackend(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) -> any Backend
}

/// The plugin registry: a value that maps kind names to factories.
///
/// Built once in one place (`BackendRegistry.standard` in the eis-gateway executable) and passed down, in the
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
    public func makeBackend(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) -> any Backend {
        guard let factory = factories[endpoint.kind] else {
            throw .unsupported("unknown backend kind '\(endpoint.kind)' (known: \(kinds.joined(separator: ", ")))")
        }
        let unknown = Set(endpoint.options.values.keys).subtracting(factory.optionKeys).sorted()
        guard unknown.isEmpty else {
            let allowed = factory.optionKeys.isEmpty ? "none" : factory.optionKeys.sorted().joined(separator: ", ")
            throw .unsupported("backend '\(endpoint.name)': unknown option\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) for kind '\(endpoint.kind)' (allowed: \(allowed))")
        }
        do {
            return try factory.makeBackend(endpoint: endpoint, transport: transport)
        } catch {
            throw .unsupported("backend '\(endpoint.name)': \(error.message)")
        }
    }
}
