import EISBackend
import Logging
public import ServiceLifecycle

/// Active health checks for every backend of every model, as a `Service`.
///
/// Its loop lives in `run()` (never a task started in an initializer) and ends on graceful
/// shutdown. Each round checks all backends concurrently, each within `timeout`.
public struct HealthChecker: Service {
    private let current: @Sendable () -> Gateway
    private let interval: Duration
    private let timeout: Duration

    /// Creates a checker for the backends of the runtime's current gateway (it follows reloads).
    public init(runtime: GatewayRuntime, interval: Duration, timeout: Duration) {
        self.current = { runtime.current }
        self.interval = interval
        self.timeout = timeout
    }

    /// Checks every backend every `interval` until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await checkAll()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One round: every backend of every model, concurrently.
    func checkAll() async {
        let gateway = current()
        await withTaskGroup(of: Void.self) { group in
            for pipeline in gateway.pipelines.values {
                for index in pipeline.backends.members.indices {
                    group.addTask {
                        let passed = await pipeline.backends.runHealthCheck(index, against: pipeline.model, timeout: timeout, logger: gateway.logger)
                        gateway.metrics.setBackendUp(pipeline.backends.members[index].endpoint.name, passed)
                    }
                }
            }
        }
        for pipeline in gateway.pipelines.values { gateway.recordTrustDomainsUp(pipeline) }
    }
}
