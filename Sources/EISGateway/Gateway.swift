public import CurlTransport
public import EISBackend
import EISCore
import Foundation
public import Logging

/// The gateway's request-independent state: models, their backends, metrics.
///
/// Built from a validated configuration; `makeApplication` serves it over HTTP. A class, so
/// that handing the current gateway to a request (three times per request: two middlewares
/// and the route) costs one retain, not a copy of every field.
public final class Gateway: Sendable {
    /// The configuration it was built from (with launched backends' URLs filled in).
    public let configuration: GatewayConfiguration
    /// Metrics rendered at `/metrics`.
    public let metrics: GatewayMetrics
    let pipelines: [String: InferencePipeline]
    /// One batcher per model when `batching` is on; batches never mix models.
    let batchers: [String: Batcher]
    /// For sentence encoders, one batcher per length bucket when `batching` is on: a batch
    /// holds one model's sequences of one padded length.
    let encoderBatchers: [String: [Int: Batcher]]
    /// How each model looks on the Open Inference routes.
    let v2Signatures: [String: V2Inference.Signature]
    /// The model used when a request names none (set when exactly one is configured).
    let defaultModel: String?
    let logger: Logger
    /// The bearer token clients must present (`auth_token_env`), or nil when none is configured.
    let inboundToken: [UInt8]?

    /// Loads every model and creates its backends.
    ///
    /// - Parameters:
    ///   - configuration: a validated configuration; `launch = true` backends must already have
    ///     their `url` filled in (see `LocalServerLauncher`).
    ///   - registry: the plugin registry (the eis-gateway executable's `BackendRegistry.standard`).
    ///   - client: the outbound HTTP client shared by all backends (their `BackendTransport`);
    ///     the caller shuts it down.
    ///   - environment: where `auth_env` and `auth_token_env` secrets are read from (default: the process's).
    /// - Throws: `ModelLoadError`, `BackendError` (unknown kind) or `ConfigurationError`.
    public init(
        configuration: GatewayConfiguration, registry: BackendRegistry, client: CurlHTTPClient,
        metrics: GatewayMetrics = GatewayMetrics(), logger: Logger,
        environment: [String: String]? = nil
    ) throws {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let problems = configuration.validationProblems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        var pipelines = [String: InferencePipeline]()
        var batchers = [String: Batcher]()
        var encoderBatchers = [String: [Int: Batcher]]()
        for modelConfiguration in configuration.models {
            let model = try GatewayModel(configuration: modelConfiguration)
            let members = try modelConfiguration.backends.map { backend throws -> any Backend in
                try Self.makeBackend(backend, of: model, registry: registry, transport: client, environment: environment, logger: logger)
            }
            let policy = PoolStateMachine<ContinuousClock.Instant>.Policy(
                unhealthyThreshold: configuration.health.unhealthyThreshold,
                healthyThreshold: configuration.health.healthyThreshold,
                consecutiveFailuresToEject: configuration.outlier.consecutiveFailures,
                baseEjection: configuration.outlier.baseEjection,
                maxEjection: configuration.outlier.maxEjection)
            var pipeline = InferencePipeline(
                model: model,
                backends: ModelBackends(members: members, weights: modelConfiguration.backends.map(\.weight), policy: policy,
                                        metrics: metrics, logger: logger),
                metrics: metrics, logger: logger)
            if model.arithmetic != .ring64 {
                Self.warnAboutFloatSharing(model, logger: logger)
            }
            pipeline.backendTimeout = configuration.backendTimeout
            pipeline.hedging = configuration.hedging
            // Neither padding nor coalescing may build a call larger than a backend accepts.
            // Replicated sharing sends each backend two shares' rows in one call.
            let backendRows = (members.map(\.capabilities.maxBatchRows).min() ?? .max) / (model.sharing == .replicated2of3 ? 2 : 1)
            pipeline.padding = Padding(buckets: configuration.batching.paddingBuckets, maxRows: max(1, backendRows))
            pipelines[model.name] = pipeline
            if configuration.batching.enabled, let encoder = model.encoder {
                encoderBatchers[model.name] = Dictionary(uniqueKeysWithValues: encoder.lengthBuckets.map { length in
                    (length, Batcher(pipeline: pipeline, maxBatch: Self.encoderBatchLimit(encoder, length: length, configuration),
                                     maxDelay: configuration.batching.maxDelay, metrics: metrics))
                })
            } else if configuration.batching.enabled {
                batchers[model.name] = Batcher(pipeline: pipeline, maxBatch: max(1, min(configuration.batching.maxBatch, backendRows)),
                                               maxDelay: configuration.batching.maxDelay, metrics: metrics)
            }
        }
        self.configuration = configuration
        self.metrics = metrics
        self.pipelines = pipelines
        self.batchers = batchers
        self.encoderBatchers = encoderBatchers
        // Encoders take text, not tensors: they are not on the Open Inference routes.
        self.v2Signatures = Dictionary(uniqueKeysWithValues: configuration.models.compactMap { entry in
            pipelines[entry.name].flatMap { $0.model.encoder == nil ? $0 : nil }.map { pipeline in
                (entry.name, V2Inference.Signature(inputName: entry.v2InputName, outputName: entry.v2OutputName,
                                                   inputs: pipeline.model.inputs, outputs: pipeline.model.outputs))
            }
        })
        self.defaultModel = configuration.models.count == 1 ? configuration.models[0].name : nil
        if !GatewayConfiguration.isLoopback(url: "http://" + Self.bracketed(configuration.listenHost)) {
            // The hop from the application carries the plain input; off this machine it needs a
            // network the operator trusts, and at least a token.
            logger.warning("listening on a non-loopback address: inputs arrive over plain HTTP and can be read on the network",
                           metadata: ["listen": "\(configuration.listenHost):\(configuration.listenPort)",
                                      "auth_token_env": "\(configuration.authTokenEnv ?? "not set: anyone who can connect may use the gateway")"])
        }
        if let variable = configuration.authTokenEnv {
            guard let token = environment[variable], token.utf8.count >= 16 else {
                throw ConfigurationError(problems: ["gateway.auth_token_env: \(variable) must be set to a token of at least 16 characters"])
            }
            self.inboundToken = Array(token.utf8)
        } else {
            self.inboundToken = nil
        }
        self.logger = logger
        metrics.createKnownSeries(models: configuration.models.compactMap { pipelines[$0.name] }.map { pipeline in
            (pipeline.model.name, pipeline.model.layerNames, pipeline.backends.members.map(\.endpoint.name))
        })
    }

    /// Asks every backend for its model metadata, retrying unreachable ones until `timeout`
    /// (but not those failing TLS: health checks and first use try them again later).
    ///
    /// Backends that differ from the local model are refused with one log line naming the
    /// backend and the difference; models left with too few backends are reported unservable.
    public func verifyBackends(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        await withTaskGroup(of: Void.self) { group in
            for pipeline in pipelines.values {
                for index in pipeline.backends.members.indices {
                    group.addTask {
                        var lastError: BackendError?
                        while ContinuousClock.now < deadline && !Task.isCancelled {
                            do throws(BackendError) {
                                let attempt = min(deadline, .now + .seconds(2))
                                try await pipeline.backends.ensureVerified(index, against: pipeline.model, deadline: attempt, logger: self.logger)
                                return
                            } catch {
                                if case .refused = pipeline.backends.snapshot[index] { return }
                                lastError = error
                                // A server that is still starting refuses connections, and waiting helps;
                                // a certificate problem does not go away by itself.
                                if error.isTLSFailure { break }
                                try? await Task.sleep(for: .milliseconds(100))
                            }
                        }
                        // Say why: "connection refused" and "certificate has expired" need different fixes.
                        self.logger.warning("backend not reachable at start-up; will verify on first use", metadata: [
                            "backend": "\(pipeline.backends.members[index].endpoint.name)",
                            "error": "\(lastError?.description ?? "no attempt finished in time")",
                        ])
                    }
                }
            }
        }
        for pipeline in pipelines.values {
            for (index, status) in pipeline.backends.snapshot.enumerated() {
                metrics.setBackendUp(pipeline.backends.members[index].endpoint.name, status == .verified)
            }
            recordTrustDomainsUp(pipeline)
            if !isServable(pipeline) {
                logger.error("model cannot be served: too few verified backends in distinct trust domains",
                             metadata: ["model": "\(pipeline.model.name)", "shares": "\(pipeline.model.shares)"])
            }
        }
    }

    /// Whether a model has enough verified, non-ejected backends in distinct trust domains
    /// (`k`; two for replicated 2-of-3 sharing).
    func isServable(_ pipeline: InferencePipeline) -> Bool {
        servableDomainCount(pipeline) >= pipeline.model.minimumDomains
    }

    /// How many distinct trust domains have a verified, healthy, non-ejected backend of the model.
    func servableDomainCount(_ pipeline: InferencePipeline) -> Int {
        let statuses = pipeline.backends.snapshot
        let pool = pipeline.backends.poolSnapshot
        let now = ContinuousClock.now
        var domains = Set<String>()
        for (index, status) in statuses.enumerated()
        where status == .verified && pool[index].healthy && (pool[index].ejectedUntil.map { $0 <= now } ?? true) {
            domains.insert(pipeline.backends.members[index].endpoint.trustDomain)
        }
        return domains.count
    }

    /// Sets `eis_model_trust_domains_up` beside `eis_model_shares` (the domains the model needs:
    /// `k`, or two for replicated 2-of-3 sharing) for the alert on too few.
    func recordTrustDomainsUp(_ pipeline: InferencePipeline) {
        metrics.setTrustDomainsUp(model: pipeline.model.name, up: servableDomainCount(pipeline), shares: pipeline.model.minimumDomains)
    }

    /// The state reported at `/healthz`.
    func healthReport() -> HealthReport {
        let now = ContinuousClock.now
        let models = configuration.models.compactMap { pipelines[$0.name] }.map { pipeline in
            let conditions = backendConditions(pipeline, now: now)
            return HealthReport.ModelState(
                name: pipeline.model.name, servable: isServable(pipeline), shares: pipeline.model.shares,
                backends: pipeline.backends.members.enumerated().map { index, backend in
                    HealthReport.BackendState(name: backend.endpoint.name, url: HealthReport.displayURL(backend.endpoint.url),
                                              trustDomain: backend.endpoint.trustDomain, status: conditions[index].state,
                                              reason: conditions[index].reason)
                })
        }
        return HealthReport(status: models.allSatisfy(\.servable) ? "ok" : "degraded", models: models)
    }
}

extension Gateway {
    /// An IPv6 literal in brackets, so it reads as a URL host.
    static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// Float sharing is a deliberate downgrade: say so loudly, with what it costs.
    static func warnAboutFloatSharing(_ model: GatewayModel, logger: Logger) {
        guard let grid = model.floatMaskGrid else { return }
        // Inputs of magnitude up to 1 are the common case (normalised features); the README's
        // table gives other ranges.
        let layer = model.layers[0]
        let errorBound = FloatMasking.reconstructionErrorBound(
            rowL1: layer.weights.maxRowL1 / Double(sign: .plus, exponent: layer.weights.fractionBits, significand: 1),
            inputs: layer.inputs, grid: grid, maxInput: min(1, grid.inputLimit))
        let perUnitL1 = grid.advantageBound(l1Distance: 1)
        let range = grid.inputLimit
        logger.warning("FLOAT SHARING: each backend sees the input plus bounded noise, not a uniform share. Use it only for float-only backends you accept this for.", metadata: [
            "model": "\(model.name)", "arithmetic": "\(model.arithmetic)", "float_mask_range": "\(range)",
            "advantage_bound_per_unit_l1_distance": "\(perUnitL1)",
            "grid_spacing": "\(grid.spacing)",
            "error_bound_for_inputs_within_1": "\(errorBound)",
        ])
    }
}
