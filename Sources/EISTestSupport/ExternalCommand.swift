import Foundation

/// Runs a command-line program to completion for tests (openssl, a misconfigured `eis-server`).
///
/// Waits with `Task.sleep` while the program runs, so it never blocks a Swift concurrency thread.
/// Output goes to temporary files rather than pipes, so a chatty program can never fill a pipe and
/// stall.
public enum ExternalCommand {
    /// What a finished program left behind.
    public struct Output: Sendable {
        /// The exit status (or the signal number when it was killed by a signal).
        public let status: Int32
        /// Everything it wrote to stdout, as UTF-8.
        public let standardOutput: String
        /// Everything it wrote to stderr, as UTF-8.
        public let standardError: String
    }

    /// Why a program could not be run to completion.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public let message: String
        /// The explanation.
        public var description: String { message }
    }

    /// Runs `executable` (a path, or a name looked up in `PATH`) with `arguments` and returns its output.
    ///
    /// - Parameters:
    ///   - directory: the working directory; the current one when nil.
    ///   - timeout: the program is killed (SIGKILL) and `Failure` thrown when it runs longer.
    /// - Throws: `Failure` when the program cannot start or runs past `timeout`; a non-zero exit is
    ///   not an error, it is returned in `Output.status`.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("eis-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw Failure(message: "cannot create output files in \(scratch.path)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw Failure(message: "cannot start \(executable): \(error)")
        }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
                throw Failure(message: "\(executable) \(arguments.joined(separator: " ")) still ran after \(timeout); killed it")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return Output(status: process.terminationStatus, standardOutput: read(outPath), standardError: read(errPath))
    }
}
