import EISTokenizer
import Testing

@Suite struct WordPieceModelTests {
    private static let pieces = ["[UNK]", "un", "##aff", "##able", "a", "##a", "\u{E9}", "##\u{E9}", "affable"]
    private static func model(maxCharacters: Int = 100) throws -> WordPieceModel {
        try WordPieceModel(vocabulary: Dictionary(uniqueKeysWithValues: pieces.enumerated().map { ($1, $0) }),
                           unknownToken: "[UNK]", maxInputCharactersPerWord: maxCharacters)
    }

    @Test func takesTheLongestPieceFirst() throws {
        let model = try Self.model()
        #expect(model.tokenize("unaffable") == [1, 2, 3])
        #expect(model.tokenize("affable") == [8])
        #expect(model.tokenize("aaa") == [4, 5, 5])
    }

    @Test func aWordWithAnyUnmatchedPartIsOneUnknownToken() throws {
        let model = try Self.model()
        #expect(model.tokenize("unaffablez") == [0])
        #expect(model.tokenize("zun") == [0])
    }

    @Test func aHundredCharactersAreSplitAndAHundredAndOneAreUnknown() throws {
        let model = try Self.model()
        #expect(model.tokenize(String(repeating: "a", count: 100)) == [4] + Array(repeating: 5, count: 99))
        #expect(model.tokenize(String(repeating: "a", count: 101)) == [0])
        // Characters are Unicode scalars: 50 decomposed é are 100 of them, 51 are 102.
        #expect(try Self.model(maxCharacters: 3).tokenize("\u{E9}\u{E9}\u{E9}") == [6, 7, 7])
        #expect(try Self.model(maxCharacters: 3).tokenize("e\u{301}e\u{301}") == [0])
    }

    @Test func piecesMatchScalarByScalarNotByCanonicalEquivalence() throws {
        // The vocabulary has the precomposed é only; tokenizers compares bytes, so e + U+0301 is unknown.
        let model = try Self.model()
        #expect(model.tokenize("\u{E9}") == [6])
        #expect(model.tokenize("e\u{301}") == [0])
    }

    @Test func refusesAVocabularyWithoutItsUnknownToken() {
        #expect(throws: TokenizerError.missingToken("the unknown token [UNK] is not in the WordPiece vocabulary")) {
            try WordPieceModel(vocabulary: ["a": 0], unknownToken: "[UNK]")
        }
        #expect(throws: TokenizerError.invalidVocabulary("the WordPiece vocabulary is empty")) {
            try WordPieceModel(vocabulary: [:], unknownToken: "[UNK]")
        }
    }
}
