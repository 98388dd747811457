@testable import EISTokenizer
import EISTestSupport
import Foundation
import Testing

/// The Swift tokenizer against Hugging Face `tokenizers` 0.23.3, the reference computed now by
/// `Tests/Peers/minilm_tokenize.py` in `.venv/minilm`.
@Suite(.enabled(if: MiniLMReference.shouldRun, "\(MiniLMReference.skipMessage)"))
struct HuggingFaceParityTests {
    @Test func everyCorpusLineGetsTheIDsOfHuggingFaceTokenizers() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let lines = try MiniLMReference.corpusLines()
            #expect(lines.count >= 500)
            let expected = try await MiniLMReference.referenceIDs()
            try #require(expected.count == lines.count, "the reference printed \(expected.count) lines for \(lines.count)")
            var tokenizer = try MiniLMReference.tokenizer()
            // Long texts are worked through in chunks of at least 512 scalars; chunks of 5 cut nearly
            // every line, and must not change an id either.
            for chunkLength in [tokenizer.chunkLength, 5] {
                tokenizer.chunkLength = chunkLength
                var mismatches = 0
                for (index, line) in lines.enumerated() {
                    let ids = tokenizer.encode(line).ids
                    if ids != expected[index] {
                        mismatches += 1
                        Issue.record("chunks of \(chunkLength), line \(index + 1) \(line.debugDescription.prefix(120)): Swift \(ids.prefix(40)) ≠ tokenizers \(expected[index].prefix(40))")
                    }
                }
                #expect(mismatches == 0, "chunks of \(chunkLength): \(lines.count - mismatches) of \(lines.count) lines match")
            }
        }
    }

    @Test func vocabularyTextGivesTheIDsOfHuggingFacesBertWordPieceTokenizer() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            // A folder with only vocab.txt (and sentence-transformers' length): BERT's defaults.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eis-vocab-only-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for name in ["vocab.txt", "sentence_bert_config.json"] {
                try FileManager.default.copyItem(at: MiniLMReference.modelDirectory.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            let tokenizer = try WordPieceTokenizer(contentsOf: folder)
            #expect(tokenizer.maxLength == MiniLMReference.maxLength)
            let lines = try MiniLMReference.corpusLines()
            let expected = try await MiniLMReference.referenceIDs(vocabularyOnly: true)
            try #require(expected.count == lines.count)
            let mismatched = lines.indices.filter { tokenizer.encode(lines[$0]).ids != expected[$0] }
            #expect(mismatched.isEmpty, "lines \(mismatched.prefix(20).map { $0 + 1 }) differ")
        }
    }

    /// For every Unicode scalar: what the normalizer makes of it alone, and whether the
    /// pre-tokenizer splits at it, against `tokenizers`. This is what proves the Unicode-version
    /// handling of `BertCharacterClasses` over the scalars no corpus line has.
    @Test func everyUnicodeScalarIsNormalizedAndSplitAsHuggingFaceDoes() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let report = try await MiniLMReference.runReference(["--scalars"])
            // Lines "hex normalized-hexes|- punct space" for the scalars tokenizers changes or splits at.
            var expected = [UInt32: (normalized: [UInt32], punctuation: Bool, space: Bool)]()
            for line in report.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 4, let scalar = UInt32(fields[0], radix: 16) else {
                    Issue.record("unreadable reference line \(line)")
                    continue
                }
                let normalized = fields[1] == "-" ? [] : fields[1..<(fields.count - 2)].compactMap { UInt32($0, radix: 16) }
                expected[scalar] = (normalized, fields[fields.count - 2] == "1", fields[fields.count - 1] == "1")
            }
            #expect(expected.count > 10_000, "the reference listed only \(expected.count) scalars")
            let tokenizer = try MiniLMReference.tokenizer()
            let normalizer = try #require(tokenizer.normalizer)
            var mismatches = [String]()
            for value in UInt32(0)...0x10FFFF {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let text = String(Character(scalar))
                let want = expected[value] ?? ([value], false, false)
                let normalized = normalizer.normalize(text).unicodeScalars.map(\.value)
                let words = tokenizer.preTokenizer.words("a" + text + "a")
                let punctuation = words.count == 3 && words[1] == text
                let space = words.count == 2
                if normalized != want.normalized || punctuation != want.punctuation || space != want.space {
                    mismatches.append(String(value, radix: 16))
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) scalars differ: \(mismatches.prefix(40))")
        }
    }
}
