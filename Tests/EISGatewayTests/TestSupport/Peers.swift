import EISGateway
import EISLaunch
import EISTestSupport
import Foundation

/// The third-party servers in Tests/Peers, run from the virtualenvs `Tests/Peers/setup.sh` makes.
///
/// Locally, tests that need them are skipped when the virtualenvs are missing; under CI (`CI`
/// set) they always run, so a missing install step fails loudly instead of skipping quietly.
enum Peers {
    /// A virtualenv under `.venv/`.
    enum Venv: String {
        case mlserver, kserve
    }

    /// Whether the tests that need `venv` should run.
    static func shouldRun(_ venv: Venv) -> Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || FileManager.default.isExecutableFile(atPath: python(venv))
    }

    /// The venv's Python.
    static func python(_ venv: Venv) -> String {
        Fixtures.packageRoot.appendingPathComponent(".venv/\(venv.rawValue)/bin/python").path
    }

    /// Starts `Tests/Peers/<script>` on a free port and waits for its `READY` line. The peer
    /// exits with this process if the test run dies. With `standardError`, its log goes to
    /// that file instead of the test output.
    ///
    /// A loaded machine can take many seconds to start a Python server; the timeout allows it.
    static func start(_ script: String, venv: Venv, arguments: [String] = [], standardError: String? = nil) async throws -> ChildProcess {
        let scriptPath = Fixtures.packageRoot.appendingPathComponent("Tests/Peers/\(script)").path
        var lastError: (any Error)?
        // A picked port can be taken before the peer binds it: try a second one.
        for _ in 0..<2 {
            guard let port = FreePort.pick() else { throw FixtureError("no free port") }
            do {
                return try await ChildProcess.start(
                    executable: python(venv),
                    arguments: [scriptPath, "--port", "\(port)", "--model-file", Fixtures.demoModelPath, "--layer", "fc", "--exit-with-parent"] + arguments,
                    standardError: standardError, timeout: .seconds(90))
            } catch {
                lastError = error
            }
        }
        throw lastError ?? FixtureError("\(script) did not start")
    }

    /// Runs `body` with the peers started, and stops them afterwards, also when `body` throws.
    static func with<T>(_ peers: [(script: String, venv: Venv, arguments: [String])], _ body: ([ChildProcess]) async throws -> T) async throws -> T {
        var started = [ChildProcess]()
        do {
            for peer in peers { started.append(try await start(peer.script, venv: peer.venv, arguments: peer.arguments)) }
            let result = try await body(started)
            for child in started { await child.stop() }
            return result
        } catch {
            for child in started { await child.stop() }
            throw error
        }
    }
}
