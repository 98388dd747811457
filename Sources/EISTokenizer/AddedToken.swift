/// A token matched as a whole in the text before WordPiece sees it: `tokenizer.json`'s
/// `added_tokens`, among them the special tokens `[CLS]`, `[SEP]`, `[MASK]`, `[PAD]`, `[UNK]`.
public struct AddedToken: Sendable, Equatable {
    /// The text that stands for the token.
    public var content: String
    /// Its id.
    public var id: Int
    /// Whether it is a special token (for the record; special tokens typed in text are matched too).
    public var special: Bool
    /// Matched only when no word character touches it on either side.
    public var singleWord: Bool
    /// Whitespace before it belongs to the token (is dropped).
    public var leftStrip: Bool
    /// Whitespace after it belongs to the token (is dropped).
    public var rightStrip: Bool
    /// Matched in the normalized text (with its content normalized) rather than in the raw text.
    public var normalized: Bool

    /// An added token; the defaults are those of BERT's special tokens.
    public init(content: String, id: Int, special: Bool = true, singleWord: Bool = false, leftStrip: Bool = false, rightStrip: Bool = false, normalized: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
    }
}
