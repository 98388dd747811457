/// The token ids of one text, with the template's special tokens and without padding.
public struct TokenEncoding: Sendable, Equatable {
    /// The ids, `[CLS] … [SEP]` for BERT, at most the tokenizer's maximum length.
    public let ids: [Int]
    /// The token type of each id (all 0 for a single BERT sequence).
    public let typeIDs: [Int]
    /// Whether tokens of the text were cut off at the maximum length.
    public let wasTruncated: Bool

    /// An encoding of `ids` with their types.
    public init(ids: [Int], typeIDs: [Int], wasTruncated: Bool) {
        self.ids = ids
        self.typeIDs = typeIDs
        self.wasTruncated = wasTruncated
    }

    /// How many positions the attention mask marks as real: every id, since nothing is padded.
    public var attentionMaskLength: Int { ids.count }
    /// How many tokens the text costs, special tokens included (for usage reports).
    public var count: Int { ids.count }
}
