import EISCore
import EISModels
import EISTestSupport
import Foundation

/// all-MiniLM-L6-v2 (models/all-MiniLM-L6-v2, put there by models/fetch-minilm.sh) and its float64
/// reference, Tests/Peers/minilm_reference.py, run at test time from .venv/minilm.
///
/// Locally the tests that need them are skipped when the venv or the model is missing; under CI
/// (`CI` set) they always run, so a missing setup step fails loudly instead of skipping quietly.
enum MiniLM {
    static let folder = ProcessPaths.packageRoot + "/models/all-MiniLM-L6-v2"
    static let python = ProcessPaths.packageRoot + "/.venv/minilm/bin/python"
    static let script = ProcessPaths.packageRoot + "/Tests/Peers/minilm_reference.py"

    /// Whether the MiniLM tests run.
    static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil
            || (FileManager.default.isExecutableFile(atPath: python) && FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
    }

    /// Varied sentences: the model card's four first (indices 0...3), short and long ones, accents,
    /// CJK, emoji, code, numbers, a repeated word run that tokenises long.
    static let sentences = [
        "That is a happy person", "That is a happy dog", "That is a very happy person", "Today is a sunny day",
        "A man is eating food.", "A man is riding a white horse on an enclosed ground.",
        "The new movie is awesome", "The cat sits outside", "Crème brûlée à la française, s'il vous plaît!",
        "東京は日本の首都です。", "I ❤️ emoji 🎉🚀 and symbols ©®™", "def f(x): return x ** 2  # square",
        "Call +1 (555) 010-9999 before 5:30pm on 2024-03-15.", "https://example.com/path?q=private&id=42",
        "Privacy-preserving inference splits every linear layer's input into random shares.",
        "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
        "ok", "Ünïcödé façade naïve coöperate résumé", "Numbers 3.14159 2.71828 1.41421 and 1e-12 are small",
        String(repeating: "a longer sentence about shares and servers ", count: 6),
    ]

    /// What the reference computed for one sentence.
    struct Item: Decodable, Sendable {
        let text: String
        let ids: [Int]
        // swiftlint:disable:next identifier_name
        let type_ids: [Int]
        let embedding: [Double]
    }

    private struct Output: Decodable {
        let items: [Item]
    }

    /// Why the fixture could not be prepared.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the Python reference on `sentences`.
    static func reference(_ sentences: [String]) async throws -> [Item] {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "\(python) is missing: run models/fetch-minilm.sh")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eis-minilm-\(UUID().uuidString).txt")
        try sentences.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try await ExternalCommand.run(python, [script, "--model", folder, "--sentences-file", url.path], timeout: .seconds(300))
        guard run.status == 0 else { throw Failure(description: "minilm_reference.py exited \(run.status): \(run.standardError)") }
        let items = try JSONDecoder().decode(Output.self, from: Data(run.standardOutput.utf8)).items
        guard items.count == sentences.count else { throw Failure(description: "\(items.count) reference items for \(sentences.count) sentences") }
        return items
    }
}

/// Loads the encoder and runs the reference once for every test that needs them.
actor MiniLMFixture {
    static let shared = MiniLMFixture()

    private var encoder: BertEncoder?
    private var items: [MiniLM.Item]?

    /// The Swift encoder of the model folder.
    func bertEncoder() throws -> BertEncoder {
        if let encoder { return encoder }
        guard FileManager.default.fileExists(atPath: MiniLM.folder + "/model.safetensors") else {
            throw MiniLM.Failure(description: "\(MiniLM.folder) is missing: run models/fetch-minilm.sh")
        }
        let loaded = try BertEncoder(folder: MiniLM.folder)
        encoder = loaded
        return loaded
    }

    /// The float64 reference of `MiniLM.sentences`.
    func reference() async throws -> [MiniLM.Item] {
        if let items { return items }
        let computed = try await MiniLM.reference(MiniLM.sentences)
        items = computed
        return computed
    }
}

/// Cosine similarity and the largest element-wise difference of two vectors.
func compare(_ a: some Collection<Double>, _ b: [Double]) -> (cosine: Double, maxDelta: Double) {
    var dot = 0.0, na = 0.0, nb = 0.0, delta = 0.0
    for (x, y) in zip(a, b) {
        dot += x * y
        na += x * x
        nb += y * y
        delta = max(delta, abs(x - y))
    }
    return (dot / (na.squareRoot() * nb.squareRoot()), delta)
}
