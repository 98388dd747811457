/// The BERT pre-tokenizer of Hugging Face `tokenizers` (`"type": "BertPreTokenizer"`): splits on
/// whitespace (dropped) and isolates every punctuation character as a word of its own.
public struct BertPreTokenizer: Sendable, Equatable {
    /// The BERT pre-tokenizer (it has no settings).
    public init() {}

    /// The words of `text`, in order.
    public func words(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return wordRanges(scalars[...]).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    /// The index ranges of the words of `scalars`, in order; never empty ranges.
    func wordRanges(_ scalars: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        var start = scalars.startIndex
        for index in scalars.indices {
            let scalar = scalars[index]
            if BertCharacterClasses.isWhitespace(scalar) {
                if start < index { ranges.append(start..<index) }
                start = index + 1
            } else if BertCharacterClasses.isPunctuation(scalar) {
                if start < index { ranges.append(start..<index) }
                ranges.append(index..<index + 1)
                start = index + 1
            }
        }
        if start < scalars.endIndex { ranges.append(start..<scalars.endIndex) }
        return ranges
    }
}
