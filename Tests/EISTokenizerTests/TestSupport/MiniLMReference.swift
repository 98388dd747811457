import EISTestSupport
import EISTokenizer
import Foundation

/// all-MiniLM-L6-v2's folder and the Hugging Face `tokenizers` reference that
/// `models/fetch-minilm.sh` installs in `.venv/minilm`.
///
/// Locally, tests that need them are skipped when they are missing; under CI (`CI` set) they
/// always run, so a missing install step fails loudly instead of skipping quietly.
enum MiniLMReference {
    /// The repository root.
    static let packageRoot = URL(fileURLWithPath: ProcessPaths.packageRoot)
    /// `models/all-MiniLM-L6-v2`.
    static let modelDirectory = packageRoot.appendingPathComponent("models/all-MiniLM-L6-v2")
    /// The venv's Python, which has `tokenizers` 0.23.3.
    static let python = packageRoot.appendingPathComponent(".venv/minilm/bin/python").path
    /// The reference script.
    static let script = packageRoot.appendingPathComponent("Tests/Peers/minilm_tokenize.py").path
    /// The committed corpus, one JSON string per line.
    static let corpus = packageRoot.appendingPathComponent("Tests/Peers/minilm-tokenizer-corpus.jsonl")
    /// sentence-transformers' truncation length for MiniLM.
    static let maxLength = 256

    /// Whether the tests that need the model and the venv should run.
    static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil
            || (FileManager.default.isExecutableFile(atPath: python)
                && FileManager.default.fileExists(atPath: modelDirectory.appendingPathComponent("tokenizer.json").path))
    }

    /// The message a skipped test shows.
    static let skipMessage = "needs models/all-MiniLM-L6-v2 and .venv/minilm (run models/fetch-minilm.sh)"

    /// The MiniLM tokenizer as the gateway loads it.
    static func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(contentsOf: modelDirectory)
    }

    /// The corpus lines.
    static func corpusLines() throws -> [String] {
        let text = try String(contentsOf: corpus, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(String.self, from: Data($0.utf8)) }
    }

    /// Runs `minilm_tokenize.py` with `arguments` after `--model DIR` and returns its stdout.
    static func runReference(_ arguments: [String], model: URL = modelDirectory) async throws -> String {
        let output = try await ExternalCommand.run(python, [script, "--model", model.path] + arguments, timeout: .seconds(300))
        guard output.status == 0 else {
            throw ReferenceFailure(description: "minilm_tokenize.py failed (\(output.status)): \(output.standardError)")
        }
        return output.standardOutput
    }

    /// The reference ids of every corpus line, truncated at `maxLength`.
    static func referenceIDs(vocabularyOnly: Bool = false) async throws -> [[Int]] {
        let stdout = try await runReference(["--corpus", corpus.path, "--max-length", "\(maxLength)"] + (vocabularyOnly ? ["--vocab-txt"] : []))
        return try stdout.split(separator: "\n").map { try JSONDecoder().decode([Int].self, from: Data($0.utf8)) }
    }
}

/// The reference script failed.
struct ReferenceFailure: Error, CustomStringConvertible {
    /// What it said.
    let description: String
}
