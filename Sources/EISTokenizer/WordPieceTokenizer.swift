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

    /// How many scalars a chunk of text has at least before it may be cut (see `chunkEnd`);
    /// tests make it tiny to show that cutting never changes the ids.
    var chunkLength = 512

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
    /// A chunk ends just after a scalar that is still a word boundary after normalizing: a
    /// whitespace scalar that cleaning keeps (it removes U+000B, U+000C and U+0085, which are
    /// whitespace and control characters at once, and so joins the words around them), or a CJK
    /// ideograph when those get spaces. Both are starters (combining class 0), so no word,
    /// combining sequence or NFD reordering crosses the cut and the ids are those of the whole
    /// text. Normalized added tokens could span a cut, so with any of them the text is one chunk.
    private func chunkEnd(in scalars: [Unicode.Scalar], from start: Int, upTo end: Int) -> Int {
        guard normalizedMatcher.isEmpty, end - start > chunkLength else { return end }
        let splitsAtIdeographs = normalizer?.handleChineseCharacters ?? false
        let removesControls = normalizer?.cleanText ?? false
        var index = start + chunkLength
        while index < end {
            let scalar = scalars[index - 1]
            if splitsAtIdeographs && BertCharacterClasses.isChineseCharacter(scalar) { break }
            if BertCharacterClasses.isWhitespace(scalar) && !(removesControls && BertCharacterClasses.isControl(scalar)) { break }
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

    /// The encoding of ids the caller tokenized already (an embeddings request may send token ids
    /// instead of text): truncated to `maxLength` and wrapped in the template, like text.
    ///
    /// The ids are not checked here; `isValidID(_:)` says which ones the model has.
    public func encode(tokenIDs: [Int]) -> TokenEncoding {
        let limit = maxLength.map { $0 - template.addedCount } ?? tokenIDs.count
        let kept = Array(tokenIDs.prefix(limit))
        let (withSpecials, typeIDs) = template.apply(to: kept)
        return TokenEncoding(ids: withSpecials, typeIDs: typeIDs, wasTruncated: kept.count < tokenIDs.count)
    }

    /// How many ids the model knows: its vocabulary and the added tokens, whichever reaches
    /// further (ids run from 0 to one less than this).
    public var vocabularySize: Int {
        max(model.vocabulary.count, (addedTokens.map(\.id).max() ?? -1) + 1)
    }

    /// Whether `id` is one this tokenizer could give: not negative and below `vocabularySize`.
    /// (The encoder's embedding table has the last word on which rows exist.)
    public func isValidID(_ id: Int) -> Bool {
        id >= 0 && id < vocabularySize
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
