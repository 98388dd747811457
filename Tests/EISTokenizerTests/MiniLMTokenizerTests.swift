import EISTokenizer
import Foundation
import Testing

/// all-MiniLM-L6-v2's own tokenizer, as the gateway loads it from `models/all-MiniLM-L6-v2`.
@Suite(.enabled(if: MiniLMReference.shouldRun, "\(MiniLMReference.skipMessage)"))
struct MiniLMTokenizerTests {
    @Test func truncatesAtSentenceTransformersLengthNotTokenizerJSONs() throws {
        let tokenizer = try MiniLMReference.tokenizer()
        #expect(tokenizer.maxLength == 256, "sentence_bert_config.json says 256; tokenizer.json says 128")
        #expect(tokenizer.template.addedCount == 2)
    }

    @Test func emptyTextIsClassifierThenSeparator() throws {
        let tokenizer = try MiniLMReference.tokenizer()
        let cls = try #require(tokenizer.model.vocabulary["[CLS]"])
        let sep = try #require(tokenizer.model.vocabulary["[SEP]"])
        for text in ["", " ", "    ", "\u{200B}\u{FEFF}", "\t\r\n"] {
            #expect(tokenizer.encode(text).ids == [cls, sep], "\(text.debugDescription)")
        }
    }

    @Test func truncationKeepsExactlyTwoHundredAndFiftySixIDs() throws {
        let tokenizer = try MiniLMReference.tokenizer()
        let word = try #require(tokenizer.model.vocabulary["word"])
        let sep = try #require(tokenizer.model.vocabulary["[SEP]"])
        let fits = tokenizer.encode(String(repeating: "word ", count: 254))
        #expect(fits.count == 256)
        #expect(!fits.wasTruncated)
        let cut = tokenizer.encode(String(repeating: "word ", count: 255))
        #expect(cut.count == 256)
        #expect(cut.wasTruncated)
        #expect(cut.ids.last == sep)
        #expect(cut.ids.dropFirst().dropLast().allSatisfy { $0 == word })
        #expect(tokenizer.tokenCount(String(repeating: "word ", count: 10_000)) == 256)
    }

    @Test func wordsOfAHundredCharactersAreSplitAndLongerOnesAreUnknown() throws {
        let tokenizer = try MiniLMReference.tokenizer()
        let unk = try #require(tokenizer.model.vocabulary["[UNK]"])
        let cls = try #require(tokenizer.model.vocabulary["[CLS]"])
        let sep = try #require(tokenizer.model.vocabulary["[SEP]"])
        #expect(!tokenizer.encode(String(repeating: "a", count: 100)).ids.contains(unk))
        #expect(tokenizer.encode(String(repeating: "a", count: 101)).ids == [cls, unk, sep])
    }
}
