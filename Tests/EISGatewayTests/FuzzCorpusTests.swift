import EISFuzzTargets
import Foundation
import Testing

/// Every committed fuzz input — the seed corpus and every crash a fuzzing run ever found — runs
/// through its target in every `swift test`, so a fixed crash stays fixed (Tests/Fuzz/README.md).
@Suite struct FuzzCorpusTests {
    static let fuzzRoot = Fixtures.packageRoot.appendingPathComponent("Tests/Fuzz")

    /// The regular files in a directory, or none when it does not exist.
    static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases.map(\.rawValue))
    func everyCommittedInputPassesItsTarget(name: String) throws {
        let target = try #require(FuzzTarget(rawValue: name))
        let corpus = Self.files(in: Self.fuzzRoot.appendingPathComponent("corpus/\(name)"))
        let regressions = Self.files(in: Self.fuzzRoot.appendingPathComponent("regressions/\(name)"))
        #expect(!corpus.isEmpty, "the seed corpus for \(name) is missing")
        for file in corpus + regressions {
            let data = try Data(contentsOf: file)
            data.withUnsafeBytes { target.run($0) }
        }
    }
}
