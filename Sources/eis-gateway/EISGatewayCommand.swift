import ArgumentParser
import CurlTransport
import EISBackend
import EISGateway
import EISLogging
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `eis-gateway`: the client-side privacy gateway.
@main
struct EISGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eis-gateway",
        abstract: "Serve POST /infer on localhost; split every input into shares sent to independent servers.",
        version: GatewayVersion.current
    )

    @Option(help: "Configuration file (TOML).")
    var config: String = "gateway.conf"

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and exit: 0 if valid, 1 with the reasons if not.")
    var checkConfig = false

    func run() async throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration(contentsOfFile: config)
        } catch {
            FileHandle.standardError.write(Data("eis-gateway: \(config): \(error)\n".utf8))
            throw ExitCode(1)
        }
        if checkConfig {
            // Beyond the file itself: every model loads and every backend's plugin can serve it.
            let problems = Gateway.servingProblems(of: configuration, registry: .standard)
            guard problems.isEmpty else {
                FileHandle.standardError.write(Data(("eis-gateway: \(config): cannot serve:\n" + problems.map { "  \($0)\n" }.joined()).utf8))
                throw ExitCode(1)
            }
            print("eis-gateway: \(config): configuration is valid")
            return
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let format = LogFormat(rawValue: configuration.logFormat) ?? .text
        LoggingSystem.bootstrap { label in format.handler(label: label, level: level) }
        let logger = Logger(label: "eis-gateway")
        let launcher = LocalServerLauncher(serverBinary: configuration.serverBinary, logger: logger)
        let client = CurlHTTPClient()
        var failure: (any Error)?
        do {
            let resolved = try await launcher.launchAll(in: configuration)
            let gateway = try Gateway(configuration: resolved, registry: .standard, client: client, logger: logger)
            await gateway.verifyBackends(timeout: .seconds(10))
            let runtime = GatewayRuntime(gateway: gateway, launched: configuration, configurationPath: config,
                                         registry: .standard, client: client, logger: logger)
            let app = runtime.makeApplication { port in
                // One line on stdout that launchers (tests, eis-bench) wait for.
                FileHandle.standardOutput.write(Data("eis-gateway: listening on \(resolved.listenHost):\(port)\n".utf8))
            }
            // Listed in dependency order; on SIGTERM/SIGINT the group stops them in reverse: the
            // HTTP front stops accepting and answers what is in flight, then the rest stop.
            let checker = HealthChecker(runtime: runtime, interval: resolved.health.interval, timeout: resolved.health.timeout)
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: checker), .init(service: CoverTraffic(runtime: runtime)),
                           .init(service: ReloadOnHangup(runtime: runtime)), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            try await group.run()
        } catch {
            failure = error
        }
        // Servers are stopped only after the HTTP front has drained, so no request loses a backend.
        await launcher.stopAll()
        client.shutdown()
        if let failure {
            logger.critical("eis-gateway stopped on an error", metadata: ["reason": "\(failure)"])
            throw ExitCode(1)
        }
    }
}
