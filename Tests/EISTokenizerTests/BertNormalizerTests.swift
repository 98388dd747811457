@testable import EISTokenizer
import Testing

@Suite struct BertNormalizerTests {
    private let uncased = BertNormalizer()

    @Test func lowercasesAndStripsAccentsByDefault() {
        #expect(uncased.normalize("Héllo WÖRLD Crème Brûlée") == "hello world creme brulee")
    }

    @Test func nullStripAccentsFollowsLowercase() {
        let cased = BertNormalizer(lowercase: false)
        #expect(cased.stripAccents == false)
        #expect(cased.normalize("Héllo") == "Héllo")
        #expect(cased.normalize("H\u{E9}llo").unicodeScalars.elementsEqual("H\u{E9}llo".unicodeScalars), "no NFD without stripping")
        #expect(BertNormalizer(stripAccents: true, lowercase: false).normalize("Héllo") == "Hello")
        #expect(BertNormalizer(stripAccents: false, lowercase: true).normalize("HÉLLO").unicodeScalars.elementsEqual("h\u{E9}llo".unicodeScalars))
    }

    @Test func cleaningRemovesNulReplacementControlAndFormatCharacters() {
        let text = "a\u{0}b\u{FFFD}c\u{200B}d\u{7}e\u{AD}f\u{200D}g\u{FEFF}h\u{E000}i\u{1B}j\u{7F}k\u{85}l\u{B}m\u{C}n"
        #expect(uncased.normalize(text) == "abcdefghijklmn")
    }

    @Test func cleaningTurnsEveryWhitespaceIntoOneSpace() {
        let text = "a\tb\nc\r\nd\u{A0}e\u{3000}f\u{2028}g\u{2003}h\u{1680}i"
        #expect(uncased.normalize(text).unicodeScalars.elementsEqual("a b c  d e f g h i".unicodeScalars))
    }

    @Test func cleaningOffKeepsControlsAndSpaces() {
        let raw = BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: false, lowercase: false)
        let text = "a\u{0}\u{200B}\tb\u{A0}c"
        #expect(raw.normalize(text).unicodeScalars.elementsEqual(text.unicodeScalars))
    }

    @Test func ideographsGetSpacesButKanaAndHangulDoNot() {
        #expect(uncased.normalize("你好ab") == " 你  好 ab")
        #expect(uncased.normalize("ひらがなカタカナ") == "ひらかなカタカナ", "the voiced mark of が is a non-spacing mark after NFD")
        #expect(uncased.normalize("𠀀") == " 𠀀 ")
        #expect(BertNormalizer(handleChineseCharacters: false).normalize("你好") == "你好")
    }

    @Test func hangulSyllablesDecomposeIntoJamo() {
        #expect(uncased.normalize("한").unicodeScalars.map(\.value) == [0x1112, 0x1161, 0x11AB])
    }

    @Test func lowercaseUsesFullMappingsScalarByScalar() {
        // İ decomposes to I and a combining dot, which accent stripping removes.
        #expect(uncased.normalize("İstanbul") == "istanbul")
        // Without stripping, İ's full lower-case mapping keeps the dot as its own scalar.
        let keepAccents = BertNormalizer(stripAccents: false)
        #expect(keepAccents.normalize("İ").unicodeScalars.map(\.value) == [0x69, 0x307])
        // No final-sigma rule: every capital sigma becomes σ.
        #expect(uncased.normalize("ΟΔΟΣ") == "οδοσ")
        #expect(uncased.normalize("ẞ") == "ß")
    }

    @Test func compatibilityFormsAreNotFolded() {
        #expect(uncased.normalize("ﬁ ½ Ａ") == "ﬁ ½ ａ")
    }

    @Test func scalarsNewerThanTheReferenceTablesAreLeftAlone() {
        // U+07FD (Mn since Unicode 11) is not stripped, U+0890 (Cf since 14) is not removed,
        // U+11938 (decomposable since 13) is not decomposed: tokenizers' tables predate them.
        #expect(uncased.normalize("a\u{7FD}b").unicodeScalars.map(\.value) == [0x61, 0x7FD, 0x62])
        #expect(uncased.normalize("a\u{890}b").unicodeScalars.map(\.value) == [0x61, 0x890, 0x62])
        #expect(uncased.normalize("\u{11938}").unicodeScalars.map(\.value) == [0x11938])
        // U+1734 was a non-spacing mark in Unicode 8.0 (a spacing mark now): stripped.
        #expect(uncased.normalize("a\u{1734}").unicodeScalars.map(\.value) == [0x61])
    }

    @Test func canonicalReorderingStopsAtScalarsUnknownToTheReference() {
        // U+1D165 (Mc, class 216) then U+1DFB (Unicode 9.0, class 230): already in order.
        // U+1DF6 (Unicode 10.0) is a starter to tokenizers, so it is not moved before U+1D165.
        #expect(uncased.normalize("a\u{1DFB}\u{1D165}").unicodeScalars.map(\.value) == [0x61, 0x1D165, 0x1DFB])
        #expect(uncased.normalize("a\u{1DF6}\u{1D165}").unicodeScalars.map(\.value) == [0x61, 0x1DF6, 0x1D165])
    }
}
