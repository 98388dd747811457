public import CurlTransport
public import EISBackend
import Foundation
public import Hummingbird
public import Logging
import Synchronization

/// The running gateway: the current `Gateway`, replaced whole when the configuration is reloaded.
///
/// A reload builds and verifies a new gateway beside the old one and then swaps it in. Requests
/// already running keep the gateway they started with, so none fails; an invalid file is
/// logged and changes nothing. Metrics carry over.
public final class GatewayRuntime: Sendable {
    // Guarded by the Mutex: the gateway new requests use.
    private let state: Mutex<Gateway>
    private let configurationPath: String
    private let registry: BackendRegistry
    private let client: CurlHTTPClient
    /// URLs of the servers launched at start, by backend name; a reload may keep them, not add any.
    private let launchedURLs: [String: String]
    private let logger: Logger

    /// Wraps the gateway built at start.
    ///
    /// - Parameters:
    ///   - launched: the configuration as read, before `launch = true` backends got URLs.
    ///   - gateway: the gateway built from the resolved configuration.
    public init(gateway: Gateway, launched: GatewayConfiguration, configurationPath: String,
                registry: BackendRegistry, client: CurlHTTPClient, logger: Logger) {
        var urls = [String: String]()
        for (model, resolved) in zip(launched.models, gateway.configuration.models) {
            for (backend, resolvedBackend) in zip(model.backends, resolved.backends) where backend.launch {
                urls[backend.name] = resolvedBackend.url
            }
        }
        self.state = Mutex(gateway)
        self.configurationPath = configurationPath
        self.registry = registry
        self.client = client
        self.launchedURLs = urls
        self.logger = logger
    }

    /// The gateway new requests use.
    public var current: Gateway { state.withLock { $0 } }

    /// The HTTP application; its routes follow reloads.
    public func makeApplication(onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        current.makeApplication(router: Gateway.makeRouter { [self] in self.current }, onListening: onListening)
    }

    /// Re-reads the configuration file; a valid one replaces the gateway, an invalid one is
    /// logged and the old gateway stays.
    ///
    /// - Returns: whether the new configuration took over.
    @discardableResult
    public func reload(verifyTimeout: Duration = .seconds(5)) async -> Bool {
        let old = current
        do {
            var configuration = try GatewayConfiguration(contentsOfFile: configurationPath)
            for modelIndex in configuration.models.indices {
                for backendIndex in configuration.models[modelIndex].backends.indices
                where configuration.models[modelIndex].backends[backendIndex].launch {
                    let name = configuration.models[modelIndex].backends[backendIndex].name
                    guard let url = launchedURLs[name] else {
                        throw ConfigurationError(problems: ["backend '\(name)': a reload cannot launch new local servers; restart the gateway"])
                    }
                    configuration.models[modelIndex].backends[backendIndex].url = url
                    configuration.models[modelIndex].backends[backendIndex].launch = false
                }
            }
            if configuration.listenHost != old.configuration.listenHost || configuration.listenPort != old.configuration.listenPort {
                logger.warning("listen address changes take effect only after a restart")
            }
            let gateway = try Gateway(configuration: configuration, registry: registry, client: client, metrics: old.metrics, logger: logger)
            await gateway.verifyBackends(timeout: verifyTimeout)
            // Shutting down while verifying: do not install a gateway whose backends were never checked.
            try Task.checkCancellation()
            state.withLock { $0 = gateway }
            old.metrics.recordReload(success: true)
            logger.notice("configuration reloaded", metadata: ["path": "\(configurationPath)"])
            return true
        } catch {
            old.metrics.recordReload(success: false)
            logger.error("configuration reload failed; keeping the running configuration", metadata: ["reason": "\(error)"])
            return false
        }
    }
}
