import EISBackend
import Foundation
import Hummingbird
import NIOCore

extension Gateway {
    /// One backend's state as `/healthz` and `/status` report it.
    struct BackendCondition: Sendable {
        /// `verified`, `unverified`, `unhealthy`, `ejected` or `refused`.
        var state: String
        /// Why it is not `verified` (its last failure, or the difference that refused it).
        var reason: String?
        /// When its ejection ends, while it is ejected.
        var ejectedUntil: ContinuousClock.Instant?
    }

    /// The state of each backend of `pipeline`, in config order.
    func backendConditions(_ pipeline: InferencePipeline, now: ContinuousClock.Instant) -> [BackendCondition] {
        let statuses = pipeline.backends.snapshot
        let pool = pipeline.backends.poolSnapshot
        let failures = pipeline.backends.lastFailures
        return statuses.indices.map { index in
            // The last failure says *why* (a TLS problem, a timeout, a bad answer).
            let lastFailure = failures[index].map { ": \($0)" } ?? ""
            switch statuses[index] {
            case .refused(let why):
                return BackendCondition(state: "refused", reason: why)
            case _ where !pool[index].healthy:
                return BackendCondition(state: "unhealthy", reason: "failed its health checks" + lastFailure)
            case _ where (pool[index].ejectedUntil.map { $0 > now } ?? false):
                return BackendCondition(state: "ejected", reason: "\(pool[index].consecutiveFailures) failures in a row" + lastFailure,
                                        ejectedUntil: pool[index].ejectedUntil)
            case .verified:
                return BackendCondition(state: "verified")
            case .unverified:
                return BackendCondition(state: "unverified", reason: failures[index].map { "not verified yet: \($0)" })
            }
        }
    }

    /// What `GET /status.json` reports.
    func statusReport() -> StatusReport {
        let now = ContinuousClock.now, wallNow = Date()
        let window = metrics.window
        let models = configuration.models.compactMap { pipelines[$0.name] }.map { pipeline in
            let pool = pipeline.backends.poolSnapshot
            let conditions = backendConditions(pipeline, now: now)
            let recentBatches = window.batches(model: pipeline.model.name, now: now)
            let batching = configuration.batching
            return StatusReport.Model(
                name: pipeline.model.name, servable: isServable(pipeline), shares: pipeline.model.shares,
                trustDomainsUp: servableDomainCount(pipeline),
                requests: window.requests(model: pipeline.model.name, now: now).map(StatusReport.Traffic.init),
                batching: StatusReport.Batching(
                    // An encoder's batchers are per length bucket; a long bucket's takes fewer sequences.
                    enabled: batchers[pipeline.model.name] != nil || encoderBatchers[pipeline.model.name] != nil,
                    maxBatch: batchers[pipeline.model.name]?.maxBatch ?? encoderBatchers[pipeline.model.name]?.values.map(\.maxBatch).max() ?? batching.maxBatch,
                    maxDelayMs: batching.maxDelay.seconds * 1000,
                    paddingBuckets: pipeline.padding.buckets, batches: recentBatches?.batches ?? 0, meanRows: recentBatches?.meanRows,
                    meanRequests: recentBatches?.meanRequests, paddingShare: recentBatches?.paddingShare),
                backends: pipeline.backends.members.enumerated().map { index, backend in
                    let condition = conditions[index]
                    return StatusReport.Backend(
                        name: backend.endpoint.name, url: HealthReport.displayURL(backend.endpoint.url),
                        trustDomain: backend.endpoint.trustDomain, weight: pool[index].weight, state: condition.state,
                        reason: condition.reason,
                        ejectedUntil: condition.ejectedUntil.map { StatusReport.timestamp(wallNow.addingTimeInterval(($0 - now).seconds)) },
                        latencyEwmaMs: pool[index].latency.map { $0 * 1000 }, outstanding: pool[index].outstanding,
                        calls: window.backendCalls(backend: backend.endpoint.name, now: now).map(StatusReport.Traffic.init))
                })
        }
        return StatusReport(
            version: GatewayVersion.current, generatedAt: StatusReport.timestamp(wallNow),
            windowSeconds: StatusWindow.span.seconds, rateSeconds: StatusWindow.rateSpan.seconds,
            status: models.allSatisfy(\.servable) ? "ok" : "degraded", models: models)
    }

    /// `GET /status` (the page) and `GET /status.json` (its data), behind the same Host, Origin
    /// and token checks as every route; the page itself holds no data, so it needs no token
    /// (`BearerTokenCheck`), and sends the one given in its URL fragment (`#token=…`).
    static func addStatusRoutes(to router: Router<BasicRequestContext>, current: @escaping @Sendable () -> Gateway) {
        router.get("/status") { _, _ in
            Response(status: .ok, headers: StatusPage.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: StatusPage.html)))
        }
        router.get("/status.json") { _, _ in
            var response = try json(current().statusReport(), status: .ok)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
