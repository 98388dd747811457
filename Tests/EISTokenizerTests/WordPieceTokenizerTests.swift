import EISTokenizer
import Testing

/// The whole pipeline on a small vocabulary: added tokens, normalizing, pre-tokenizing, WordPiece,
/// truncation and the template.
@Suite struct WordPieceTokenizerTests {
    static let pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "a", "##a", "[", "]", "mask", "<x>", "foo", "!"]
    static func id(_ piece: String) -> Int { pieces.firstIndex(of: piece) ?? -1 }
    static let cls = id("[CLS]"), sep = id("[SEP]"), unk = id("[UNK]"), mask = id("[MASK]")

    static func tokenizer(maxLength: Int? = 256, extraTokens: [AddedToken] = []) throws -> WordPieceTokenizer {
        let vocabulary = Dictionary(uniqueKeysWithValues: pieces.enumerated().map { ($1, $0) })
        let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map { AddedToken(content: $0, id: id($0)) }
        return try WordPieceTokenizer(
            model: WordPieceModel(vocabulary: vocabulary, unknownToken: "[UNK]"), normalizer: BertNormalizer(),
            addedTokens: specials + extraTokens, template: .bert(classifierID: cls, separatorID: sep), maxLength: maxLength)
    }

    @Test func emptyOrBlankTextIsClassifierThenSeparator() throws {
        let tokenizer = try Self.tokenizer()
        for text in ["", " ", "   ", "\t\n", "\u{200B}", "\u{3000}\u{A0}", "\u{0}\u{FFFD}"] {
            let encoding = tokenizer.encode(text)
            #expect(encoding.ids == [Self.cls, Self.sep], "\(text.debugDescription)")
            #expect(encoding.typeIDs == [0, 0])
            #expect(encoding.attentionMaskLength == 2)
            #expect(!encoding.wasTruncated)
        }
    }

    @Test func specialTokensTypedInTheRawTextAreRecognised() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.encode("Hello [MASK] world").ids == [Self.cls, Self.id("hello"), Self.mask, Self.id("world"), Self.sep])
        #expect(tokenizer.encode("a[MASK]a").ids == [Self.cls, Self.id("a"), Self.mask, Self.id("a"), Self.sep])
        #expect(tokenizer.encode("[SEP][CLS]").ids == [Self.cls, Self.sep, Self.cls, Self.sep])
        // Special tokens are not normalized, so the lower-case spelling is plain text.
        #expect(tokenizer.encode("[mask]").ids == [Self.cls, Self.id("["), Self.id("mask"), Self.id("]"), Self.sep])
        #expect(tokenizer.encode("[MASK ]").ids == [Self.cls, Self.id("["), Self.id("mask"), Self.id("]"), Self.sep])
    }

    @Test func aSingleWordTokenIsNotMatchedInsideAWord() throws {
        let tokenizer = try Self.tokenizer(extraTokens: [AddedToken(content: "<x>", id: Self.id("<x>"), special: false, singleWord: true)])
        #expect(tokenizer.encode("a <x> a").ids == [Self.cls, Self.id("a"), Self.id("<x>"), Self.id("a"), Self.sep])
        // Touching a word, it is plain text: "<", "x" and ">" are not in the vocabulary.
        #expect(tokenizer.encode("a<x>").ids == [Self.cls, Self.id("a"), Self.unk, Self.unk, Self.unk, Self.sep])
    }

    @Test func aNormalizedAddedTokenMatchesAfterNormalizing() throws {
        let tokenizer = try Self.tokenizer(extraTokens: [AddedToken(content: "FÖÖ", id: Self.id("foo"), special: false, normalized: true)])
        #expect(tokenizer.encode("Föö!").ids == [Self.cls, Self.id("foo"), Self.id("!"), Self.sep])
        #expect(tokenizer.encode("foo").ids == [Self.cls, Self.id("foo"), Self.sep])
    }

    @Test func truncatesToExactlyTheMaximumLengthWithSpecialTokens() throws {
        let tokenizer = try Self.tokenizer(maxLength: 6)
        let fits = tokenizer.encode("a a a a")
        #expect(fits.ids == [Self.cls] + Array(repeating: Self.id("a"), count: 4) + [Self.sep])
        #expect(!fits.wasTruncated)
        let cut = tokenizer.encode("a a a a a")
        #expect(cut.ids == fits.ids)
        #expect(cut.wasTruncated)
        // A long word's pieces are cut too, not dropped whole.
        #expect(tokenizer.encode("hello aaaaaa").ids == [Self.cls, Self.id("hello"), Self.id("a"), Self.id("##a"), Self.id("##a"), Self.sep])
        #expect(tokenizer.tokenCount("a a a a a a a a") == 6)
    }

    @Test func withoutAMaximumNothingIsCut() throws {
        let tokenizer = try Self.tokenizer(maxLength: nil)
        #expect(tokenizer.encode(String(repeating: "a ", count: 1000)).count == 1002)
    }

    @Test func refusesAMaximumLengthWithNoRoomForText() throws {
        #expect(throws: TokenizerError.self) { try Self.tokenizer(maxLength: 2) }
        #expect(try Self.tokenizer(maxLength: 3).encode("a a").ids == [Self.cls, Self.id("a"), Self.sep])
    }

    @Test func batchEncodingKeepsTheOrderOfTheTexts() throws {
        let tokenizer = try Self.tokenizer()
        let texts = ["hello", "", "world a", "[MASK]"]
        #expect(tokenizer.encode(texts) == texts.map { tokenizer.encode($0) })
        #expect(tokenizer.encode(texts).map(\.count) == [3, 2, 4, 3])
    }

    @Test func tokenIDsAreTruncatedAndWrappedLikeText() throws {
        let tokenizer = try Self.tokenizer(maxLength: 5)
        let a = Self.id("a")
        #expect(tokenizer.encode(tokenIDs: []).ids == [Self.cls, Self.sep])
        #expect(tokenizer.encode(tokenIDs: [a, a, a]) == tokenizer.encode("a a a"))
        #expect(tokenizer.encode(tokenIDs: [a, a, a, a]) == tokenizer.encode("a a a a"))
        #expect(tokenizer.encode(tokenIDs: [a, a, a, a]).wasTruncated)
    }

    @Test func validIDsAreThoseOfTheVocabularyAndTheAddedTokens() throws {
        let tokenizer = try Self.tokenizer(extraTokens: [AddedToken(content: "<new>", id: Self.pieces.count + 2, special: false)])
        #expect(tokenizer.vocabularySize == Self.pieces.count + 3)
        #expect(tokenizer.isValidID(0))
        #expect(tokenizer.isValidID(Self.pieces.count + 2))
        #expect(!tokenizer.isValidID(Self.pieces.count + 3))
        #expect(!tokenizer.isValidID(-1))
    }
}
