/// Where the special tokens go around a single sequence: `tokenizer.json`'s `post_processor`
/// (`TemplateProcessing`'s `single`, or `BertProcessing`), `[CLS] $A [SEP]` for BERT.
public struct EncodingTemplate: Sendable, Equatable {
    /// One part of the template.
    public enum Item: Sendable, Equatable {
        /// Fixed special-token ids, with their token type.
        case special(ids: [Int], typeID: Int)
        /// The tokenized text, with its token type.
        case sequence(typeID: Int)
    }

    /// The parts in order; exactly one is `.sequence`.
    public let items: [Item]

    /// A template of `items`.
    ///
    /// - Throws: `TokenizerError.unsupportedComponent` unless exactly one item is the sequence.
    public init(items: [Item]) throws {
        let sequences = items.filter { if case .sequence = $0 { true } else { false } }.count
        guard sequences == 1 else {
            throw TokenizerError.unsupportedComponent("a single-sequence template needs exactly one $A, it has \(sequences)")
        }
        self.items = items
    }

    private init(validItems: [Item]) {
        items = validItems
    }

    /// BERT's `[CLS] $A [SEP]`.
    public static func bert(classifierID: Int, separatorID: Int) -> EncodingTemplate {
        EncodingTemplate(validItems: [.special(ids: [classifierID], typeID: 0), .sequence(typeID: 0), .special(ids: [separatorID], typeID: 0)])
    }

    /// How many ids the template adds around the text.
    public var addedCount: Int {
        items.reduce(0) { count, item in
            if case .special(let ids, _) = item { count + ids.count } else { count }
        }
    }

    /// The template applied to `sequence`: ids and their token types.
    func apply(to sequence: [Int]) -> (ids: [Int], typeIDs: [Int]) {
        var ids = [Int]()
        var typeIDs = [Int]()
        ids.reserveCapacity(sequence.count + addedCount)
        typeIDs.reserveCapacity(sequence.count + addedCount)
        for item in items {
            switch item {
            case .special(let special, let typeID):
                ids.append(contentsOf: special)
                typeIDs.append(contentsOf: repeatElement(typeID, count: special.count))
            case .sequence(let typeID):
                ids.append(contentsOf: sequence)
                typeIDs.append(contentsOf: repeatElement(typeID, count: sequence.count))
            }
        }
        return (ids, typeIDs)
    }
}
