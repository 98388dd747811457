/// A BERT WordPiece tokenizer that gives the ids Hugging Face `tokenizers` gives for the same
/// `tokenizer.json`: added tokens found in the raw text, then the BERT normalizer, the BERT
/// pre-tokenizer, WordPiece, truncation and the `[CLS] $A [SEP]` template.
///
/// Immutable and `Sendable`: one instance serves every request concurrently. Encoding is linear
/// in the text's length, and stops tokenizing once the maximum length is passed.
public struct WordPieceTokenizer: Sendable {
    /// The normalizer; nil when `tokenizer.json` has none.
    public let normalizer: BertNormalizer?
    /// The pre-tokenizer.
    public let preTokenizer: BertPreTokenizer
    /// The WordPiece model.
    public let model: WordPieceModel
    /// The added tokens, special ones included.
    public let addedTokens: [AddedToken]
    /// The special tokens around the text.
    public let template: EncodingTemplate
    /// The most ids an encoding has, special tokens included; nil for no limit.
    public let maxLength: Int?

    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher

    /// A tokenizer of these parts.
    ///
    /// - Throws: `TokenizerError.malformedFile` when `maxLength` leaves no room for text after the
    ///   template's special tokens.
    public init(model: WordPieceModel, normalizer: BertNormalizer?, preTokenizer: BertPreTokenizer = BertPreTokenizer(),
                addedTokens: [AddedToken], template: EncodingTemplate, maxLength: Int?) throws {
        if let maxLength, maxLength <= template.addedCount {
            throw TokenizerError.malformedFile("a maximum length of \(maxLength) leaves no room for text beside \(template.addedCount) special tokens")
        }
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens
        self.template = template
        self.maxLength = maxLength
        rawMatcher = AddedTokenMatcher(tokens: addedTokens.filter { !$0.normalized }) { Array($0.content.unicodeScalars) }
        normalizedMatcher = AddedTokenMatcher(tokens: addedTokens.filter(\.normalized)) { token in
            let scalars = Array(token.content.unicodeScalars)
            return normalizer?.normalize(scalars[...]) ?? scalars
        }
    }

    /// The ids of `text`, truncated to `maxLength`.
    public func encode(_ text: String) -> TokenEncoding {
        let limit = maxLength.map { $0 - template.addedCount }
        let scalars = Array(text.unicodeScalars)
        var ids = [Int]()
        ids.reserveCapacity(min(scalars.count / 3 + 4, limit ?? Int.max))
        // One past the limit is enough to know the text was cut.
        let isFull = { (ids: [Int]) in limit.map { ids.count > $0 } ?? false }

        rawMatcher.forEachSegment(of: scalars[...]) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                var chunkStart = range.lowerBound
                while chunkStart < range.upperBound, !isFull(ids) {
                    let chunkEnd = chunkEnd(in: scalars, from: chunkStart, upTo: range.upperBound)
                    tokenize(scalars[chunkStart..<chunkEnd], into: &ids, until: isFull)
                    chunkStart = chunkEnd
                }
            }
            return !isFull(ids)
        }
        var wasTruncated = false
        if let limit, ids.count > limit {
            ids.removeSubrange(limit...)
            wasTruncated = true
        }
        let (withSpecials, typeIDs) = template.apply(to: ids)
        return TokenEncoding(ids: withSpecials, typeIDs: typeIDs, wasTruncated: wasTruncated)
    }

    /// Where the chunk of text that starts at `start` ends, so a long text is normalized and
    /// tokenized piece by piece and truncation stops the work early.
    ///
    /// A chunk ends just after a whitespace scalar, or a CJK ideograph when those get spaces:
    /// both are word boundaries and starters (combining class 0), so no word, combining sequence
    /// or NFD reordering crosses the cut and the ids are those of the whole text. Normalized
    /// added tokens could span a cut, so with any of them the text is one chunk.
    private func chunkEnd(in scalars: [Unicode.Scalar], from start: Int, upTo end: Int) -> Int {
        let chunkLength = 512
        guard normalizedMatcher.isEmpty, end - start > chunkLength else { return end }
        let splitsAtIdeographs = normalizer?.handleChineseCharacters ?? false
        var index = start + chunkLength
        while index < end {
            let scalar = scalars[index - 1]
            if BertCharacterClasses.isWhitespace(scalar) || (splitsAtIdeographs && BertCharacterClasses.isChineseCharacter(scalar)) { break }
            index += 1
        }
        return index
    }

    /// Normalizes `chunk`, finds normalized added tokens in it, pre-tokenizes the rest and appends
    /// the WordPiece ids, stopping once `isFull`.
    private func tokenize(_ chunk: ArraySlice<Unicode.Scalar>, into ids: inout [Int], until isFull: ([Int]) -> Bool) {
        let normalized = normalizer?.normalize(chunk) ?? Array(chunk)
        normalizedMatcher.forEachSegment(of: normalized[...]) { piece in
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                for word in preTokenizer.wordRanges(normalized[range]) {
                    model.tokenize(normalized[word], into: &ids)
                    if isFull(ids) { return false }
                }
            }
            return !isFull(ids)
        }
    }

    /// The encodings of `texts`, in order.
    public func encode(_ texts: [String]) -> [TokenEncoding] {
        texts.map { encode($0) }
    }

    /// How many tokens `text` costs after truncation, special tokens included (for usage reports).
    public func tokenCount(_ text: String) -> Int {
        encode(text).count
    }
}
