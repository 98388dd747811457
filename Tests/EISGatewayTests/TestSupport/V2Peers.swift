import EISGateway
import EISLaunch
import EISTestSupport
import Foundation
import Testing

/// One KServe 0.21 peer and one MLServer 1.7.1 peer (Tests/Peers, each serving every V2 demo
/// model) and one `eis-server`, started once for a suite by the `.v2Peers` trait and stopped
/// after it, also on failure.
struct V2Peers: Sendable {
    /// The Open Inference Protocol peers.
    enum Kind: String, CaseIterable, Sendable {
        case kserve
        case mlserver

        var venv: Peers.Venv {
            switch self {
            case .kserve: .kserve
            case .mlserver: .mlserver
            }
        }
    }

    /// The peers by kind.
    let peers: [Kind: ChildProcess]
    /// A native share server for the demo model.
    let server: ChildProcess
    /// How long starting everything took.
    let startup: Duration

    /// Whether the suites that need both peers should run (see `Peers.shouldRun`).
    static var shouldRun: Bool { Kind.allCases.allSatisfy { Peers.shouldRun($0.venv) } }

    /// Why such suites are skipped.
    static let skipReason: Comment = "run Tests/Peers/setup.sh to create .venv/kserve and .venv/mlserver (CI requires them)"

    /// Base URL of a peer.
    func url(_ kind: Kind) -> String { "http://127.0.0.1:\(peers[kind]?.port ?? 0)" }
    /// Base URL of the share server.
    var serverURL: String { "http://127.0.0.1:\(server.port)" }

    /// The peers of the running suite.
    @TaskLocal static var current: V2Peers?

    /// The running suite's peers, or a failure naming the missing trait.
    static func require() throws -> V2Peers {
        try #require(current, "the suite needs the .v2Peers trait")
    }
}

/// Starts `V2Peers` around a whole suite, not around each test: a Python peer takes seconds to start.
struct V2PeersTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let paths = try ProcessPaths()
        let started = ContinuousClock.now
        var children = [ChildProcess]()
        do {
            // Both peers start at once: their start-up is mostly Python imports.
            let peers = try await withThrowingTaskGroup(of: (V2Peers.Kind, ChildProcess).self) { group in
                for kind in V2Peers.Kind.allCases {
                    let log = try paths.temporaryFile(named: "\(kind.rawValue)-peer.log", contents: "")
                    group.addTask {
                        (kind, try await Peers.start("\(kind.rawValue)_peer.py", venv: kind.venv, arguments: ["--weight-frac-bits", "26"],
                                                     standardError: log))
                    }
                }
                var peers = [V2Peers.Kind: ChildProcess]()
                do {
                    for try await (kind, child) in group { peers[kind] = child }
                } catch {
                    // The other peer may have started: stop it before failing.
                    await Self.stop(Array(peers.values))
                    throw error
                }
                return peers
            }
            children += peers.values
            let server = try await ChildProcess.start(
                executable: paths.server, arguments: ["--model", paths.model, "--listen", "127.0.0.1:0", "--log-level", "warning"])
            children.append(server)
            let running = V2Peers(peers: peers, server: server, startup: .now - started)
            try await V2Peers.$current.withValue(running) { try await function() }
        } catch {
            await Self.stop(children)
            throw error
        }
        await Self.stop(children)
    }

    /// Stops children concurrently: a Python server can take seconds to shut down gracefully.
    private static func stop(_ children: [ChildProcess]) async {
        await withTaskGroup(of: Void.self) { group in
            // The peers are disposable test servers: a short grace, then SIGKILL.
            for child in children { group.addTask { await child.stop(grace: .seconds(2)) } }
        }
    }
}

extension Trait where Self == V2PeersTrait {
    /// Runs the suite with a KServe peer, an MLServer peer and an eis-server (see `V2Peers`).
    static var v2Peers: Self { V2PeersTrait() }
}
