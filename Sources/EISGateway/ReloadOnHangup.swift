public import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP, as a `Service` (like `nginx -s reload`).
public struct ReloadOnHangup: Service {
    private let runtime: GatewayRuntime

    /// Creates the service for a runtime.
    public init(runtime: GatewayRuntime) {
        self.runtime = runtime
    }

    /// Waits for SIGHUP until graceful shutdown; each signal reloads once.
    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await runtime.reload()
            }
        }
    }
}
