import ArgumentParser
import EISCore
import EISLogging
import EISServer
import Foundation
import Hummingbird
import Logging

/// `eis-server`: the reference share server.
@main
struct EISServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eis-server",
        abstract: "Serve one model's linear layers to EIS gateways: computes W·x_i mod 2^64 on shares."
    )

    @Option(help: "Safetensors file with nn.Linear layers (<layer>.weight [out, in]), or a Hugging Face BERT-family folder (its encoder's linear layers, Q, K and V fused).")
    var model: String

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free port).")
    var listen: String = "127.0.0.1:9101"

    @Option(help: "Name to serve the model under (default: the file name without extension).")
    var name: String?

    @Option(name: .customLong("weight-frac-bits"), help: "Fractional bits fw of the encoded weights.")
    var weightFractionBits: Int = Defaults.weightFractionBits

    @Option(help: "The most threads one share product uses (default: every core). Small products use one.")
    var threads: Int = ShareServerConfiguration.defaultKernelThreads

    @Flag(name: .customLong("exit-with-parent"), help: "Exit when the launching process dies (used by eis-gateway for local backends).")
    var exitWithParent = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "text (lines for people) or json (one object per line, for log shippers).")
    var logFormat: String = "text"

    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) to serve HTTPS with; needs --tls-key. Without it the server speaks plain HTTP.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("client-ca"), help: "PEM CA certificate(s): require clients to present a certificate signed by it (mutual TLS); needs --tls-cert and --tls-key.")
    var clientCA: String?

    // Slow clients (README, "The share server").
    @Option(name: .customLong("idle-timeout-ms"), help: "Close a connection that sends nothing for this long.")
    var idleTimeoutMs = 60_000
    @Option(name: .customLong("body-timeout-ms"), help: "Drop a request (and its connection) whose body has not arrived this long after its head.")
    var bodyTimeoutMs = 60_000
    @Option(name: .customLong("max-connections"), help: "Most connections open at once; one more gets 503 too_many_connections.")
    var maxConnections = 1024

    func validate() throws {
        guard idleTimeoutMs > 0, bodyTimeoutMs > 0, maxConnections > 0 else {
            throw ValidationError("--idle-timeout-ms, --body-timeout-ms and --max-connections must be positive")
        }
        guard (0...62).contains(weightFractionBits) else { throw ValidationError("--weight-frac-bits must be in 0...62") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard Self.parse(listen: listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got '\(listen)'") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json, got '\(logFormat)'") }
        switch (tlsCertificate, tlsKey) {
        case (.some, nil): throw ValidationError("--tls-cert needs --tls-key")
        case (nil, .some): throw ValidationError("--tls-key needs --tls-cert")
        case (nil, nil) where clientCA != nil: throw ValidationError("--client-ca needs --tls-cert and --tls-key")
        default: break
        }
    }

    /// The TLS settings from the flags, nil without `--tls-cert` (validated to come with `--tls-key`).
    var tls: ShareServerTLS? {
        guard let tlsCertificate, let tlsKey else { return nil }
        return ShareServerTLS(certificatePath: tlsCertificate, privateKeyPath: tlsKey, clientCAPath: clientCA)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = LogFormat(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { label in format.handler(label: label, level: level) }
        let logger = Logger(label: "eis-server")
        guard let (host, port) = Self.parse(listen: listen) else { throw ValidationError("bad --listen") }
        let configuration = {
            var configuration = ShareServerConfiguration(
                modelPath: model, modelName: name, host: host, port: port, weightFractionBits: weightFractionBits, tls: tls,
                kernelThreads: threads)
            configuration.idleTimeout = .milliseconds(idleTimeoutMs)
            configuration.bodyTimeout = .milliseconds(bodyTimeoutMs)
            configuration.maxConnections = maxConnections
            return configuration
        }()
        let server: ShareServer
        do {
            server = try ShareServer(configuration: configuration, logger: logger)
        } catch let error as ShareServerTLSError {
            logger.critical("cannot set up TLS", metadata: ["reason": "\(error)"])
            throw ExitCode(1)
        } catch {
            logger.critical("cannot load model", metadata: ["path": "\(model)", "reason": "\(error)"])
            throw ExitCode(1)
        }
        let summary = server.model.description.layers
            .map { "\($0.name) \($0.inputs)→\($0.outputs) sha256=\($0.sha256.prefix(12))…" }
            .joined(separator: ", ")
        let app = server.makeApplication { boundPort in
            // One line on stdout, flushed, that launchers (the gateway, tests) wait for. They read the
            // port after the line's last colon, so the scheme note stays before " on HOST:PORT".
            let line = "eis-server: serving model '\(configuration.modelName)' [\(summary)] fw=\(configuration.weightFractionBits)\(Self.schemeNote(configuration.tls)) on \(host):\(boundPort)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        if exitWithParent {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                group.addTask { await Self.waitForParentToDie() }
                _ = try await group.next()
                group.cancelAll()
            }
        } else {
            try await app.runService()
        }
    }

    /// " over https" (plus the client-certificate requirement) with TLS, nothing for plain HTTP.
    static func schemeNote(_ tls: ShareServerTLS?) -> String {
        guard let tls else { return "" }
        return tls.clientCAPath == nil ? " over https" : " over https (client certificates required)"
    }

    /// Returns once this process has been re-parented, i.e. its launcher is gone.
    static func waitForParentToDie() async {
        let parent = getppid()
        while getppid() == parent {
            try? await Task.sleep(for: .milliseconds(250))
            if Task.isCancelled { return }
        }
    }

    /// Splits `HOST:PORT`; IPv6 hosts go in brackets (`[::1]:9101`).
    static func parse(listen: String) -> (String, Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
