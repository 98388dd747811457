import EISLaunch
import Foundation
public import Logging
import Synchronization

/// Starts and stops the local `eis-server` processes behind `launch = true` backends.
///
/// Local backends are a demo: every share sits on this machine, so they give no privacy, and
/// the launcher says so in the log. Each child gets `--listen 127.0.0.1:0 --exit-with-parent`:
/// it reports its port (no port races), and a gateway killed with SIGKILL leaves no server behind.
public final class LocalServerLauncher: Sendable {
    private let binary: String
    private let logger: Logger
    // Guarded by the Mutex: children started and not yet stopped.
    private let children = Mutex<[ChildProcess]>([])

    /// Creates a launcher for a given `eis-server` binary (default: next to this executable).
    public init(serverBinary: String? = nil, logger: Logger) {
        self.binary = serverBinary ?? Self.siblingServerBinary()
        self.logger = logger
    }

    /// `eis-server` in the directory of the running executable.
    public static func siblingServerBinary() -> String {
        ChildProcess.siblingExecutable("eis-server")
    }

    /// Launches a server for every `launch = true` backend and returns the configuration with
    /// their URLs filled in.
    ///
    /// - Throws: `LaunchError`; servers already started are stopped first.
    public func launchAll(in configuration: GatewayConfiguration, timeout: Duration = .seconds(30)) async throws -> GatewayConfiguration {
        var resolved = configuration
        do {
            for (modelIndex, model) in configuration.models.enumerated() {
                for (backendIndex, backend) in model.backends.enumerated() where backend.launch {
                    let child: ChildProcess
                    do {
                        child = try await ChildProcess.start(
                            executable: binary,
                            arguments: ["--model", model.path, "--name", backend.remoteModel ?? model.name,
                                        "--weight-frac-bits", String(model.weightFractionBits),
                                        "--listen", "127.0.0.1:0", "--exit-with-parent", "--log-format", configuration.logFormat],
                            timeout: timeout)
                    } catch let error as LaunchError {
                        throw LaunchError(message: "cannot launch backend '\(backend.name)': \(error.message); or set gateway.server_binary")
                    }
                    children.withLock { $0.append(child) }
                    logger.info("launched local eis-server", metadata: ["backend": "\(backend.name)", "pid": "\(child.pid)", "port": "\(child.port)"])
                    resolved.models[modelIndex].backends[backendIndex].url = "http://127.0.0.1:\(child.port)"
                    resolved.models[modelIndex].backends[backendIndex].launch = false
                }
            }
        } catch {
            await stopAll()
            throw error
        }
        if configuration.models.contains(where: { $0.backends.contains(where: \.launch) }) {
            logger.warning("local backends launched: every share stays on this machine, so this setup gives NO privacy; it is a demo. Point backends at servers run by independent operators for real use.")
        }
        return resolved
    }

    /// Stops every launched server (SIGTERM, SIGKILL after 5 s) and waits for them.
    ///
    /// The waiting happens on a plain thread, never on a Swift concurrency thread.
    public func stopAll() async {
        let stopping = children.withLock { list in defer { list.removeAll() }; return list }
        guard !stopping.isEmpty else { return }
        for child in stopping { child.signal(SIGTERM) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                for child in stopping { child.stopBlocking() }
                continuation.resume()
            }
        }
        logger.info("stopped local eis-servers", metadata: ["count": "\(stopping.count)"])
    }
}
