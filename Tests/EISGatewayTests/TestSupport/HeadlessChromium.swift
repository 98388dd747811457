import Foundation
import Synchronization

/// A real headless Chromium (Debian's `chromium`), driven over the DevTools protocol on a pipe.
///
/// `--remote-debugging-pipe` speaks NUL-terminated JSON on file descriptors 3 (in) and 4 (out);
/// a shell maps them onto the child's stdin and stdout, so no WebSocket client is needed. The
/// browser gets a fresh profile directory and is stopped (then killed) by `stop()`.
final class HeadlessChromium: Sendable {
    /// Why a browser step failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private let process: Process
    private let input: FileHandle
    private let profile: URL
    /// Where the browser's own log goes (it is chatty about D-Bus, which a container lacks).
    let logPath: String
    private let nextID = Atomic<Int>(1)
    // Guarded by the Mutex: bytes not yet split into messages, and replies by id.
    private let inbox = Mutex((pending: Data(), replies: [Int: Data](), closed: false))

    /// The browser executable: `EIS_CHROMIUM`, else `chromium` on the PATH.
    static var executable: String { ProcessInfo.processInfo.environment["EIS_CHROMIUM"] ?? "chromium" }

    private init(process: Process, input: FileHandle, profile: URL, logPath: String) {
        self.process = process
        self.input = input
        self.profile = profile
        self.logPath = logPath
    }

    /// Starts a browser on `about:blank`.
    static func start() throws -> HeadlessChromium {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("eis-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logPath = profile.appendingPathComponent("chromium.log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw Failure("cannot write \(logPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // fd 3 ← our pipe into its stdin, fd 4 → our pipe from its stdout; then 0 and 1 go nowhere.
        process.arguments = ["-c", "exec \"$0\" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
            + "--no-default-browser-check --disable-extensions --remote-debugging-pipe --user-data-dir=\"$1\" about:blank "
            + "3<&0 4>&1 </dev/null >/dev/null", executable, profile.path]
        let toBrowser = Pipe(), fromBrowser = Pipe()
        process.standardInput = toBrowser
        process.standardOutput = fromBrowser
        process.standardError = log
        let browser = HeadlessChromium(process: process, input: toBrowser.fileHandleForWriting, profile: profile, logPath: logPath)
        fromBrowser.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            browser.receive(data)
        }
        do { try process.run() } catch {
            throw Failure("cannot start \(executable) (install Debian's chromium package): \(error)")
        }
        return browser
    }

    private func receive(_ data: Data) {
        inbox.withLock { inbox in
            if data.isEmpty { inbox.closed = true }
            inbox.pending.append(data)
            while let end = inbox.pending.firstIndex(of: 0) {
                let message = inbox.pending[inbox.pending.startIndex..<end]
                inbox.pending = Data(inbox.pending[(end + 1)...])
                if let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int {
                    inbox.replies[id] = Data(message)
                }
            }
        }
    }

    /// Sends one DevTools command and returns its `result` object, as JSON.
    ///
    /// - Throws: `Failure` on a protocol error, a closed browser, or no reply within `timeout`.
    @discardableResult
    func call(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil, timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        try input.write(contentsOf: bytes)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (reply, closed) = inbox.withLock { ($0.replies.removeValue(forKey: id), $0.closed) }
            if let reply {
                let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
                if let error = object["error"] { throw Failure("\(method): \(error)") }
                return object["result"] as? [String: Any] ?? [:]
            }
            if closed { throw Failure("\(method): the browser closed its pipe (its log: \(logPath))") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure("\(method): no reply within \(timeout) (browser log: \(logPath))")
    }

    /// Opens `url` in a new tab and attaches to it.
    func open(_ url: String) async throws -> ChromiumPage {
        let target = try await call("Target.createTarget", ["url": url])
        guard let targetID = target["targetId"] as? String else { throw Failure("Target.createTarget gave no targetId") }
        let attached = try await call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure("Target.attachToTarget gave no sessionId") }
        return ChromiumPage(browser: self, session: session)
    }

    /// Closes the browser (SIGKILL if it has not exited after `grace`) and removes its profile.
    func stop(grace: Duration = .seconds(5)) async {
        if process.isRunning {
            _ = try? await call("Browser.close", timeout: .seconds(2))
            let deadline = ContinuousClock.now + grace
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
        try? input.close()
        // The renderer and GPU helpers exit with the browser; its profile is ours to remove.
        try? FileManager.default.removeItem(at: profile)
    }
}

/// One tab of a `HeadlessChromium`.
struct ChromiumPage: Sendable {
    let browser: HeadlessChromium
    let session: String

    /// Evaluates a JavaScript expression in the page and returns `JSON.stringify` of its value.
    func evaluate(_ expression: String) async throws -> String? {
        let result = try await browser.call("Runtime.evaluate", [
            "expression": "JSON.stringify((function () { try { return (\(expression)); } catch (e) { return null; } })())",
            "returnByValue": true,
        ], session: session)
        return (result["result"] as? [String: Any])?["value"] as? String
    }

    /// Waits until `condition` (a JavaScript expression) is true in the page.
    ///
    /// - Throws: `HeadlessChromium.Failure` naming `what` when it stays false past `timeout`.
    func waitUntil(_ condition: String, _ what: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if try await evaluate("!!(\(condition))") == "true" { return }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        throw HeadlessChromium.Failure("\(what): not seen within \(timeout)")
    }

    /// Saves a PNG screenshot of the page at `path`.
    func screenshot(to path: String) async throws {
        let result = try await browser.call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw HeadlessChromium.Failure("Page.captureScreenshot gave no image")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// Runs `body` with a headless browser and stops it afterwards, also when `body` throws.
func withHeadlessChromium<T>(_ body: (HeadlessChromium) async throws -> T) async throws -> T {
    let browser = try HeadlessChromium.start()
    do {
        let result = try await body(browser)
        await browser.stop()
        return result
    } catch {
        await browser.stop()
        throw error
    }
}
