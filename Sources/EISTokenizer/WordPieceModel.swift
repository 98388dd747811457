/// The WordPiece model: greedy longest-match-first splitting of one word into vocabulary pieces.
///
/// A word longer than `maxInputCharactersPerWord` scalars, or one with any part that matches no
/// piece, becomes the single unknown token, as in Hugging Face `tokenizers`. Pieces after the
/// first carry `continuingSubwordPrefix` ("##").
///
/// The vocabulary is kept as a trie over Unicode scalars, so finding the longest piece is one walk
/// along the word rather than a dictionary look-up per candidate length, and pieces compare
/// scalar by scalar (byte for byte in UTF-8), never by Swift's canonical equivalence, which would
/// match "é" with "e\u{301}" where `tokenizers` does not.
public struct WordPieceModel: Sendable {
    /// Each piece and its id.
    public let vocabulary: [String: Int]
    /// The id of the unknown token.
    public let unknownID: Int
    /// The prefix of pieces that continue a word.
    public let continuingSubwordPrefix: String
    /// Longer words (in Unicode scalars) become the unknown token.
    public let maxInputCharactersPerWord: Int

    /// Trie edges: `(node << 21) | scalar` → child node. Node 0 is the root.
    private let edges: [UInt64: Int32]
    /// The id of the piece that ends at each node, or -1.
    private let terminals: [Int32]
    /// The node reached by walking the continuing prefix from the root, or nil when no piece has it.
    private let continuationRoot: Int32?

    /// A model over `vocabulary`.
    ///
    /// - Throws: `TokenizerError.missingToken` when `unknownToken` is not in the vocabulary;
    ///   `invalidVocabulary` when it is empty or an id is negative.
    public init(vocabulary: [String: Int], unknownToken: String, continuingSubwordPrefix: String = "##", maxInputCharactersPerWord: Int = 100) throws {
        guard !vocabulary.isEmpty else { throw TokenizerError.invalidVocabulary("the WordPiece vocabulary is empty") }
        guard let unknownID = vocabulary[unknownToken] else {
            throw TokenizerError.missingToken("the unknown token \(unknownToken) is not in the WordPiece vocabulary")
        }
        var edges = [UInt64: Int32](minimumCapacity: vocabulary.count * 3)
        var terminals: [Int32] = [-1]
        for (piece, id) in vocabulary {
            guard id >= 0, id <= Int(Int32.max) else { throw TokenizerError.invalidVocabulary("the piece \(piece) has the id \(id)") }
            var node: Int32 = 0
            for scalar in piece.unicodeScalars {
                let key = UInt64(node) << 21 | UInt64(scalar.value)
                if let child = edges[key] {
                    node = child
                } else {
                    let child = Int32(terminals.count)
                    terminals.append(-1)
                    edges[key] = child
                    node = child
                }
            }
            terminals[Int(node)] = Int32(id)
        }
        var prefixNode: Int32? = 0
        for scalar in continuingSubwordPrefix.unicodeScalars {
            guard let node = prefixNode else { break }
            prefixNode = edges[UInt64(node) << 21 | UInt64(scalar.value)]
        }
        self.vocabulary = vocabulary
        self.unknownID = unknownID
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.edges = edges
        self.terminals = terminals
        self.continuationRoot = prefixNode
    }

    /// The ids of `word`'s pieces.
    public func tokenize(_ word: String) -> [Int] {
        var ids = [Int]()
        tokenize(Array(word.unicodeScalars)[...], into: &ids)
        return ids
    }

    /// Appends the ids of the pieces of one word to `ids`. Linear in the word's length times the
    /// length of its longest piece.
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        guard word.count <= maxInputCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        let firstNew = ids.count
        var start = word.startIndex
        while start < word.endIndex {
            guard var node = start == word.startIndex ? 0 : continuationRoot else {
                ids.removeSubrange(firstNew...)
                ids.append(unknownID)
                return
            }
            var match: (id: Int32, end: Int)?
            var index = start
            while index < word.endIndex, let child = edges[UInt64(node) << 21 | UInt64(word[index].value)] {
                node = child
                index += 1
                let id = terminals[Int(node)]
                if id >= 0 { match = (id, index) }
            }
            guard let match else {
                ids.removeSubrange(firstNew...)
                ids.append(unknownID)
                return
            }
            ids.append(Int(match.id))
            start = match.end
        }
    }
}
