public import EISCore

/// The three lookup tables of a BERT embedding layer, summed per token.
public struct EmbeddingTables: Sendable {
    /// Word embeddings, `[vocabulary, width]`.
    public let word: Matrix<Double>
    /// Absolute position embeddings, `[max positions, width]`.
    public let position: Matrix<Double>
    /// Token-type (segment) embeddings, `[types, width]`.
    public let tokenType: Matrix<Double>

    /// The embedding width.
    public var width: Int { word.columns }

    /// Creates the tables.
    ///
    /// - Throws: `ModelPlanError` when the widths differ, a table is empty, or a value is not finite.
    public init(word: Matrix<Double>, position: Matrix<Double>, tokenType: Matrix<Double>) throws(ModelPlanError) {
        guard word.columns > 0, word.columns == position.columns, word.columns == tokenType.columns else {
            throw .invalidParameters("embedding widths differ: word \(word.columns), position \(position.columns), token type \(tokenType.columns)")
        }
        guard word.rows > 0, position.rows > 0, tokenType.rows > 0 else { throw .invalidParameters("an embedding table is empty") }
        for (name, table) in [("word", word), ("position", position), ("token type", tokenType)] {
            guard table.elements.allSatisfy(\.isFinite) else { throw .invalidParameters("\(name) embeddings hold a non-finite value") }
        }
        self.word = word
        self.position = position
        self.tokenType = tokenType
    }
}
