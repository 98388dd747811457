@testable import EISTokenizer
import Testing

@Suite struct BertPreTokenizerTests {
    private let preTokenizer = BertPreTokenizer()

    @Test func splitsOnWhitespaceAndIsolatesPunctuation() {
        #expect(preTokenizer.words("Hey friend!     How are you?!?") == ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
    }

    @Test func everyASCIISymbolIsPunctuation() {
        #expect(preTokenizer.words("a$b+c<d^e`f|g~h=i") == ["a", "$", "b", "+", "c", "<", "d", "^", "e", "`", "f", "|", "g", "~", "h", "=", "i"])
    }

    @Test func unicodePunctuationSplitsButSymbolsAndEmojiDoNot() {
        #expect(preTokenizer.words("a«b»c—d、e") == ["a", "«", "b", "»", "c", "—", "d", "、", "e"])
        #expect(preTokenizer.words("a😀b∑c€d©e") == ["a😀b∑c€d©e"])
    }

    @Test func onlyWhitespaceHasNoWords() {
        #expect(preTokenizer.words("  \t\n\u{3000} ").isEmpty)
        #expect(preTokenizer.words("").isEmpty)
    }

    @Test func punctuationNewerThanTheReferenceTablesDoesNotSplit() {
        // U+061D ARABIC END OF TEXT MARK is punctuation since Unicode 14; tokenizers' tables are 8.0.
        #expect(preTokenizer.words("a\u{61D}b").count == 1)
        // U+166D was punctuation in Unicode 8.0 (a symbol now): it still splits.
        #expect(preTokenizer.words("a\u{166D}b").count == 3)
    }
}
