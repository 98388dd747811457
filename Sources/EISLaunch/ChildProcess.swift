import Foundation
import Synchronization

/// A child process that announces its port on its first stdout line (`… on HOST:PORT`, or
/// `READY PORT` as the Python test peers print it).
///
/// `eis-server` and `eis-gateway` both print such a line once they listen, so launchers (the
/// gateway's local backends, tests, the benchmark) bind port 0 and never race for ports. This
/// module (EISLaunch) is that launcher alone, so the benchmark and the tests start processes
/// without linking the gateway.
public final class ChildProcess: Sendable {
    /// The port the child reported.
    public let port: Int
    /// Its process id.
    public let pid: Int32
    private let process: Process

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
        self.pid = process.processIdentifier
    }

    /// Starts `executable` and waits for its port line.
    ///
    /// - Parameter standardError: a file to write the child's stderr (its log) to; by default
    ///   the child shares this process's stderr.
    /// - Throws: `LaunchError` when it cannot start, exits, or stays silent past `timeout`
    ///   (the child is then stopped).
    public static func start(
        executable: String, arguments: [String], standardError: String? = nil, timeout: Duration = .seconds(30)
    ) async throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LaunchError(message: "no executable at \(executable) (build it with `swift build`)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        if let standardError {
            guard FileManager.default.createFile(atPath: standardError, contents: nil),
                  let log = FileHandle(forWritingAtPath: standardError) else {
                throw LaunchError(message: "cannot write \(standardError)")
            }
            process.standardError = log
        }
        let reader = PortLineReader()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            reader.consume(data)
        }
        process.terminationHandler = { _ in reader.finish() }
        do { try process.run() } catch {
            throw LaunchError(message: "cannot start \(executable): \(error.localizedDescription)")
        }
        guard let port = try await reader.port(timeout: timeout) else {
            let child = ChildProcess(process: process, port: 0)
            await child.stop()
            throw LaunchError(message: "\(executable) exited or did not report its port within \(timeout) (see its log above)")
        }
        return ChildProcess(process: process, port: port)
    }

    /// Whether the child is still running.
    public var isRunning: Bool { process.isRunning }

    /// Stops the child: SIGTERM, then SIGKILL after `grace`; returns once it has exited.
    ///
    /// Waits with `Task.sleep`, so it never blocks a Swift concurrency thread.
    public func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { await kill() }
    }

    /// Stops the child like `stop(grace:)`, blocking the calling thread: for plain threads only.
    public func stopBlocking(grace: Duration = .seconds(5)) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            Foundation.kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Sends SIGKILL and returns once the child has exited (fault injection in tests).
    public func kill() async {
        Foundation.kill(pid, SIGKILL)
        _ = await waitForExit()
    }

    /// Sends a signal without waiting.
    public func signal(_ number: Int32) {
        Foundation.kill(pid, number)
    }

    /// Waits for the child to exit and returns its exit status, without blocking a thread.
    public func waitForExit() async -> Int32 {
        while process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }
}

extension ChildProcess {
    /// The executable `name` in the directory of the running executable: where SwiftPM puts
    /// every product of one build (`eis-server` beside `eis-gateway`, `eis-bench` and the tests).
    public static func siblingExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// A child process that could not be started.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    public var description: String { message }

    /// An error saying `message` (launchers add what they were launching).
    public init(message: String) { self.message = message }
}

/// Collects a child's stdout until the first line ending in `:PORT` arrives.
final class PortLineReader: Sendable {
    private struct State {
        var buffer = Data()
        var port: Int?
        var finished = false
        var waiter: CheckedContinuation<Int?, Never>?
    }

    // Guarded by the Mutex; the continuation is taken out under the lock and resumed outside it.
    private let state = Mutex(State())

    func consume(_ data: Data) {
        let (waiter, port): (CheckedContinuation<Int?, Never>?, Int?) = state.withLock { state in
            guard state.port == nil else { return (nil, nil) }
            state.buffer.append(data)
            guard let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) else { return (nil, nil) }
            let line = String(decoding: state.buffer[..<newline], as: UTF8.self)
            guard let port = Self.port(announcedIn: line) else { return (nil, nil) }
            state.port = port
            defer { state.waiter = nil }
            return (state.waiter, port)
        }
        waiter?.resume(returning: port)
    }

    /// The port in `… on HOST:PORT` or `READY PORT`.
    static func port(announcedIn line: String) -> Int? {
        if line.hasPrefix("READY ") { return Int(line.dropFirst(6)) }
        guard let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...])
    }

    func finish() {
        let (waiter, port) = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return (state.waiter, state.port)
        }
        waiter?.resume(returning: port)
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
