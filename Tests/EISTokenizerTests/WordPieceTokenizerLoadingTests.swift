import EISTokenizer
import Foundation
import Testing

/// Loading from a Hugging Face folder: `tokenizer.json`, the `vocab.txt` fallback, the truncation
/// length, and clear refusals.
@Suite struct WordPieceTokenizerLoadingTests {
    /// A fresh folder holding `files` (name → contents).
    static func folder(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eis-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    /// A small BERT `tokenizer.json`, with `changes` applied to its top-level object.
    static func tokenizerJSON(_ changes: [String: Any] = [:]) throws -> String {
        let vocabulary = ["[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hello": 5, "world": 6, "##s": 7]
        var file: [String: Any] = [
            "version": "1.0",
            "truncation": ["max_length": 128, "strategy": "LongestFirst", "stride": 0],
            "added_tokens": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map { token in
                ["id": vocabulary[token] ?? -1, "content": token, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
            },
            "normalizer": ["type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": NSNull(), "lowercase": true],
            "pre_tokenizer": ["type": "BertPreTokenizer"],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "[CLS]", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]], ["SpecialToken": ["id": "[SEP]", "type_id": 0]]],
                "special_tokens": ["[CLS]": ["id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]], "[SEP]": ["id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]]],
            ],
            "model": ["type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocabulary],
        ]
        for (key, value) in changes { file[key] = value }
        return String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self)
    }

    @Test func readsEveryPartOfTokenizerJSON() throws {
        let tokenizer = try WordPieceTokenizer(contentsOf: Self.folder(["tokenizer.json": Self.tokenizerJSON()]))
        #expect(tokenizer.maxLength == 128)
        #expect(tokenizer.normalizer == BertNormalizer(cleanText: true, handleChineseCharacters: true, stripAccents: true, lowercase: true))
        #expect(tokenizer.addedTokens.map(\.content) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        #expect(tokenizer.encode("Hello worlds [MASK]!").ids == [2, 5, 6, 7, 4, 1, 3])
    }

    @Test func sentenceTransformersMaxSeqLengthOverridesTokenizerTruncation() throws {
        let files = ["tokenizer.json": try Self.tokenizerJSON(), "sentence_bert_config.json": #"{"max_seq_length": 256, "do_lower_case": false}"#]
        #expect(try WordPieceTokenizer(contentsOf: Self.folder(files)).maxLength == 256)
        #expect(try WordPieceTokenizer(contentsOf: Self.folder(files), maxLength: 16).maxLength == 16)
        let untruncated = try Self.tokenizerJSON(["truncation": NSNull()])
        #expect(try WordPieceTokenizer(contentsOf: Self.folder(["tokenizer.json": untruncated])).maxLength == nil)
    }

    @Test func readsBertProcessingAndANullNormalizer() throws {
        let json = try Self.tokenizerJSON(["post_processor": ["type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]], "normalizer": NSNull()])
        let tokenizer = try WordPieceTokenizer(contentsOf: Self.folder(["tokenizer.json": json]))
        #expect(tokenizer.normalizer == nil)
        #expect(tokenizer.encode("hello Hello").ids == [2, 5, 1, 3])
    }

    @Test func refusesComponentsItDoesNotImplement() throws {
        let cases: [(String, Any, String)] = [
            ("normalizer", ["type": "NFKC"], "normalizer NFKC"),
            ("pre_tokenizer", ["type": "ByteLevel", "add_prefix_space": false], "pre_tokenizer ByteLevel"),
            ("pre_tokenizer", NSNull(), "pre_tokenizer null"),
            ("model", ["type": "BPE", "vocab": [String: Int](), "merges": [String]()], "model BPE"),
            ("post_processor", ["type": "RobertaProcessing"], "post_processor RobertaProcessing"),
            ("truncation", ["max_length": 128, "direction": "Left"], "truncation direction Left"),
        ]
        for (key, value, named) in cases {
            let folder = try Self.folder(["tokenizer.json": Self.tokenizerJSON([key: value])])
            do {
                _ = try WordPieceTokenizer(contentsOf: folder)
                Issue.record("\(key) \(value) was accepted")
            } catch let error as TokenizerError {
                #expect(error.isSameKind(as: .unsupportedComponent("")), "\(error)")
                #expect(error.message.contains(named), "\(error)")
            }
        }
    }

    @Test func malformedOrMissingFilesAreClearErrors() throws {
        let notJSON = try Self.folder(["tokenizer.json": "{ not json"])
        #expect { try WordPieceTokenizer(contentsOf: notJSON) } throws: { ($0 as? TokenizerError)?.shortDescription == "malformedFile" }
        let wrongType = try Self.folder(["tokenizer.json": Self.tokenizerJSON(["model": ["type": "WordPiece", "vocab": ["a": "zero"]]])])
        #expect { try WordPieceTokenizer(contentsOf: wrongType) } throws: { error in
            guard let error = error as? TokenizerError else { return false }
            return error.shortDescription == "malformedFile" && error.message.contains("model.vocab")
        }
        let gap = try Self.folder(["tokenizer.json": Self.tokenizerJSON(["model": ["type": "WordPiece", "unk_token": "[UNK]", "vocab": ["[UNK]": 0, "a": 2]]])])
        #expect { try WordPieceTokenizer(contentsOf: gap) } throws: { ($0 as? TokenizerError)?.shortDescription == "invalidVocabulary" }
        let empty = try Self.folder([:])
        #expect { try WordPieceTokenizer(contentsOf: empty) } throws: { ($0 as? TokenizerError)?.shortDescription == "fileUnreadable" }
        let badLength = try Self.folder(["tokenizer.json": Self.tokenizerJSON(), "sentence_bert_config.json": #"{"max_seq_length": "long"}"#])
        #expect { try WordPieceTokenizer(contentsOf: badLength) } throws: { ($0 as? TokenizerError)?.shortDescription == "malformedFile" }
    }

    @Test func vocabularyTextFallsBackToBertDefaults() throws {
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "Hello"].joined(separator: "\n") + "\n"
        let uncased = try WordPieceTokenizer(contentsOf: Self.folder(["vocab.txt": vocabulary]))
        #expect(uncased.encode("Hello worlds [MASK] héllo").ids == [2, 5, 6, 7, 4, 5, 3])
        #expect(uncased.maxLength == nil)
        let cased = try WordPieceTokenizer(contentsOf: Self.folder(["vocab.txt": vocabulary, "tokenizer_config.json": #"{"do_lower_case": false, "cls_token": {"content": "[CLS]"}}"#]))
        #expect(cased.encode("Hello hello").ids == [2, 8, 5, 3])
    }
}
