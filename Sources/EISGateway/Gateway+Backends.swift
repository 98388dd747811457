import CurlTransport
public import EISBackend
import EISCore
import Foundation
import Logging

extension Gateway {
    /// Makes one configured backend of `model` through its plugin and checks that it can serve
    /// the model: its arithmetic, and every layer (a plugin whose endpoint is one layer cannot
    /// serve a model of several).
    ///
    /// - Parameters:
    ///   - transport: the outbound client the backend will use (it sends nothing while being made).
    ///   - environment: where `auth_env` secrets are read from; nil when only checking
    ///     (`--check-config`), which neither reads secrets nor needs launched servers' URLs.
    /// - Throws: `ConfigurationError` or `BackendError` naming the backend.
    static func makeBackend(
        _ backend: BackendConfiguration, of model: GatewayModel, registry: BackendRegistry, transport: any BackendTransport,
        environment: [String: String]?, logger: Logger
    ) throws -> any Backend {
        let checking = environment == nil
        guard let url = backend.url ?? (checking && backend.launch ? "http://127.0.0.1:0" : nil) else {
            throw ConfigurationError(problems: ["backend '\(backend.name)': launch = true but no server was launched for it"])
        }
        let first = model.layers[0]
        // `remote_layer` renames a single-layer model's layer; every other layer has its own name.
        let renames = backend.remoteLayer.map { [first.name: $0] } ?? [:]
        var endpoint = BackendEndpoint(
            name: backend.name, kind: backend.kind, url: url, trustDomain: backend.trustDomain,
            remoteModel: backend.remoteModel ?? model.name, remoteLayerNames: renames,
            weightFractionBits: model.arithmetic == .ring64 ? (backend.weightFractionBits ?? first.weights.fractionBits) : nil,
            addsBias: backend.addsBias, options: BackendOptions(backend.options))
        endpoint.expectedShape = LayerShape(inputs: first.inputs, outputs: first.outputs)
        endpoint.tls = TLSOptions(caFile: backend.caFile, clientCertificateFile: backend.clientCertificate,
                                  clientKeyFile: backend.clientKey, pinnedPublicKey: backend.pinSHA256)
        // A missing certificate file is a deployment mistake: say so at start-up (or on
        // reload) rather than as a TLS failure on every call.
        let unreadable = [("ca_file", backend.caFile), ("client_cert", backend.clientCertificate), ("client_key", backend.clientKey)]
            .compactMap { key, path in path.flatMap { FileManager.default.isReadableFile(atPath: $0) ? nil : "\(key) \($0)" } }
        guard unreadable.isEmpty else {
            throw ConfigurationError(problems: unreadable.map { "backend '\(backend.name)': \($0) is not a readable file" })
        }
        if let variable = backend.authEnv, let environment {
            // The secret comes from the environment, never from the file, and is never logged.
            guard let secret = environment[variable], !secret.isEmpty else {
                throw ConfigurationError(problems: ["backend '\(backend.name)': auth_env names \(variable), which is not set"])
            }
            endpoint.headers = [HeaderField(name: backend.authHeader, value: secret)]
        }
        if !checking, backend.allowPlaintext, url.hasPrefix("http://"), !GatewayConfiguration.isLoopback(url: url) {
            logger.warning("PLAINTEXT backend: shares cross the network unencrypted; anyone on the path can collect them",
                           metadata: ["backend": "\(backend.name)", "url": "\(HealthReport.displayURL(url))"])
        }
        let made = try registry.makeBackend(endpoint: endpoint, transport: transport)
        guard made.capabilities.arithmetics.contains(model.arithmetic) else {
            let known = made.capabilities.arithmetics.map(\.description).sorted().joined(separator: ", ")
            throw ConfigurationError(problems: ["backend '\(backend.name)': kind '\(backend.kind)' computes in \(known), not in the model's \(model.arithmetic)"])
        }
        guard model.layers.count == 1 || made.capabilities.servesLayersByName else {
            throw ConfigurationError(problems: ["backend '\(backend.name)': kind '\(backend.kind)' serves one layer per endpoint; model '\(model.name)' has \(model.layers.count) layers"])
        }
        return made
    }

    /// What keeps a valid configuration from serving, found without starting anything: a model
    /// file that does not load or whose `steps` do not fit, and backends their plugin refuses or
    /// that cannot serve their model (`eis-gateway --check-config`).
    ///
    /// - Returns: one message per problem, empty when every model and backend can be made.
    public static func servingProblems(of configuration: GatewayConfiguration, registry: BackendRegistry) -> [String] {
        let transport = CurlHTTPClient()
        defer { transport.shutdown() }
        var problems = [String]()
        for modelConfiguration in configuration.models {
            let model: GatewayModel
            do {
                model = try GatewayModel(configuration: modelConfiguration)
            } catch {
                problems.append(error.description)
                continue
            }
            for backend in modelConfiguration.backends {
                do {
                    _ = try makeBackend(backend, of: model, registry: registry, transport: transport, environment: nil,
                                        logger: Logger(label: "eis-gateway.check"))
                } catch let error as ConfigurationError {
                    problems += error.problems
                } catch let error as BackendError {
                    problems.append(error.message)
                } catch {
                    problems.append("backend '\(backend.name)': \(error)")
                }
            }
        }
        return problems
    }
}
