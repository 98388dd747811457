import Foundation
public import Logging
import Synchronization

/// Starts and stops the local `eis-server` processes behind `launch = true` backends.
///
/// Local backends are a demo: every share sits on this machine, so they give no privacy. The
/// launcher says so in the log. Each child gets `--listen 127.0.0.1:0 --exit-with-parent` and
/// prints its port on its first stdout line, which the launcher waits for; so there are no port
/// races, and a gateway killed with SIGKILL does not leave servers behind.
public final class LocalServerLauncher: Sendable {
    private let binary: String
    private let logger: Logger
    // Guarded by the Mutex: processes started and not yet stopped.
    private let children = Mutex<[Process]>([])

    /// Creates a launcher for a given `eis-server` binary (default: next to this executable).
    public init(serverBinary: String? = nil, logger: Logger) {
        self.binary = serverBinary ?? Self.siblingServerBinary()
        self.logger = logger
    }

    /// `eis-server` in the directory of the running executable.
    public static func siblingServerBinary() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("eis-server").path
    }

    /// Launches a server for every `launch = true` backend and returns the configuration with
    /// their URLs filled in.
    ///
    /// - Throws: `LaunchError` when a server cannot start or does not report its port in time;
    ///   servers already started are stopped first.
    public func launchAll(in configuration: GatewayConfiguration, timeout: Duration = .seconds(30)) async throws -> GatewayConfiguration {
        var resolved = configuration
        do {
            for (modelIndex, model) in configuration.models.enumerated() {
                for (backendIndex, backend) in model.backends.enumerated() where backend.launch {
                    let port = try await launch(
                        arguments: ["--model", model.path, "--name", backend.remoteModel ?? model.name,
                                    "--weight-frac-bits", String(model.weightFractionBits)],
                        label: backend.name, timeout: timeout)
                    resolved.models[modelIndex].backends[backendIndex].url = "http://127.0.0.1:\(port)"
                    resolved.models[modelIndex].backends[backendIndex].launch = false
                }
            }
        } catch {
            stopAll()
            throw error
        }
        if configuration.models.contains(where: { $0.backends.contains(where: \.launch) }) {
            logger.warning("local backends launched: every share stays on this machine, so this setup gives NO privacy; it is a demo. Point backends at servers run by independent operators for real use.")
        }
        return resolved
    }

    /// Starts one server and waits for its port.
    func launch(arguments: [String], label: String, timeout: Duration) async throws -> Int {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw LaunchError(message: "cannot launch backend '\(label)': no executable eis-server at \(binary) (build it with `swift build`, or set gateway.server_binary)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--listen", "127.0.0.1:0", "--exit-with-parent"]
        let output = Pipe()
        process.standardOutput = output
        let reader = PortLineReader()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            reader.consume(data)
        }
        process.terminationHandler = { _ in reader.finish() }
        do { try process.run() } catch {
            throw LaunchError(message: "cannot launch backend '\(label)': \(error.localizedDescription)")
        }
        children.withLock { $0.append(process) }
        guard let port = try await reader.port(timeout: timeout) else {
            throw LaunchError(message: "backend '\(label)': eis-server exited or did not report its port within \(timeout) (see its log above)")
        }
        logger.info("launched local eis-server", metadata: ["backend": "\(label)", "pid": "\(process.processIdentifier)", "port": "\(port)"])
        return port
    }

    /// Stops every launched server: SIGTERM, then SIGKILL after 5 s. Blocks until they exit.
    public func stopAll() {
        let processes = children.withLock { list in defer { list.removeAll() }; return list }
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        for process in processes {
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        if !processes.isEmpty { logger.info("stopped local eis-servers", metadata: ["count": "\(processes.count)"]) }
    }
}

/// A local server that could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { message }
}

/// Collects a child's stdout until the line ending in `on HOST:PORT` arrives.
private final class PortLineReader: Sendable {
    private struct State {
        var buffer = Data()
        var port: Int?
        var finished = false
        var waiter: CheckedContinuation<Int?, Never>?
    }

    // Guarded by the Mutex; the continuation is resumed exactly once, outside the lock.
    private let state = Mutex(State())

    func consume(_ data: Data) {
        let waiter: CheckedContinuation<Int?, Never>? = state.withLock { state in
            guard state.port == nil else { return nil }
            state.buffer.append(data)
            guard let text = String(data: state.buffer, encoding: .utf8), text.contains("\n") else { return nil }
            let line = text.prefix { $0 != "\n" }
            guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...]) else { return nil }
            state.port = port
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: state.withLock { $0.port })
    }

    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: state.withLock { $0.port })
    }

    func port(timeout: Duration) async throws -> Int? {
        try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let ready: Int?? = self.state.withLock { state in
                        if state.port != nil || state.finished { return .some(state.port) }
                        state.waiter = continuation
                        return .none
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                self.finish()
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
