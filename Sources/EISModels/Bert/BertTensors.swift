internal import EISCore

/// The tensors of a BERT `model.safetensors` that the encoder uses, looked up with or without
/// the `bert.` prefix some exports put on every name.
struct BertTensors {
    private let file: SafetensorsFile
    private let path: String

    /// Reads only the embedding and encoder tensors, so other tensors (the `I64` position ids, the
    /// unused pooler) are neither decoded nor required to be of a float type.
    init(path: String, configuration: BertConfiguration) throws(ModelPlanError) {
        do {
            file = try SafetensorsFile(contentsOf: path) { name in
                let bare = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
                return (bare.hasPrefix("embeddings.") && bare.hasSuffix("_embeddings.weight"))
                    || bare.hasPrefix("embeddings.LayerNorm.") || bare.hasPrefix("encoder.layer.")
            }
        } catch {
            throw .invalidModel("\(path): \(error)")
        }
        self.path = path
    }

    /// A tensor of exactly `rows × columns` values.
    func matrix(_ name: String, rows: Int, columns: Int) throws(ModelPlanError) -> Matrix<Double> {
        Matrix(rows: rows, columns: columns, elements: try values(name, shape: [rows, columns]))
    }

    /// A tensor of exactly `count` values.
    func vector(_ name: String, count: Int) throws(ModelPlanError) -> [Double] {
        try values(name, shape: [count])
    }

    private func values(_ name: String, shape: [Int]) throws(ModelPlanError) -> [Double] {
        guard let tensor = file.tensors[name] ?? file.tensors["bert." + name] else {
            throw .invalidModel("\(path) has no tensor '\(name)'")
        }
        guard tensor.shape == shape else {
            throw .invalidModel("\(path): '\(name)' has shape \(tensor.shape), the configuration implies \(shape)")
        }
        guard tensor.values.allSatisfy(\.isFinite) else { throw .invalidModel("\(path): '\(name)' holds a non-finite value") }
        return tensor.values
    }
}
