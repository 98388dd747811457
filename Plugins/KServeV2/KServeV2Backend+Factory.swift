public import EISBackend

extension KServeV2Backend {
    /// The factory registered under kind `kserve-v2`; its options are listed in `KServeV2Options`.
    public struct Factory: BackendFactory {
        /// Creates the factory.
        public init() {}
        public var kind: String { "kserve-v2" }
        public var optionKeys: Set<String> { KServeV2Options.keys }
        public func makeBackend(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) -> any Backend {
            KServeV2Backend(endpoint: endpoint, transport: transport, options: try KServeV2Options(endpoint.options))
        }
    }
}
