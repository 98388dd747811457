import EISBackend
import EISCore
import OpenInference

/// Shares into V2 tensors and V2 answers back into partial products, with every check the
/// `Backend` contract asks for: name, datatype, shape, element count, finiteness.
enum KServeV2ShareCoding {
    /// The input tensor for a share batch: `[rows, in]` in the signature's datatype.
    ///
    /// - Throws: `BackendError.unsupported` when the batch's arithmetic is not the backend's,
    ///   or a float share does not fit FP32.
    static func tensor(for batch: ShareBatch, signature: KServeV2Signature, backend: String) throws(BackendError) -> Tensor {
        guard batch.arithmetic == signature.arithmetic else {
            throw .unsupported("\(backend): the model computes in \(signature.arithmetic), the sharing is \(batch.arithmetic)")
        }
        let data: TensorData
        switch (batch.shares, signature.arithmetic) {
        case (.ring(let matrix), .ring64):
            data = .int64(matrix.elements)
        case (.real(let matrix), .float32):
            // Shares are Doubles; an FP32 backend computes on them rounded to nearest.
            let values = matrix.elements.map { Float($0) }
            guard values.allSatisfy(\.isFinite) else { throw .unsupported("\(backend): a share does not fit FP32") }
            data = .fp32(values)
        case (.real(let matrix), .float64):
            data = .fp64(matrix.elements)
        default:
            throw .unsupported("\(backend): a \(batch.arithmetic) batch with the wrong element type")
        }
        do {
            return try Tensor(name: signature.inputName, shape: [batch.shares.rows, batch.shares.columns], data: data)
        } catch {
            throw .unsupported("\(backend): \(error.message)")
        }
    }

    /// The most bytes a well-formed answer of `rows × outputs` elements can take: JSON spends at
    /// most 25 bytes on an element (a 17-digit float with sign, exponent and comma), plus room
    /// for names, ids and parameters. Anything longer is refused unread.
    static func maxAnswerBytes(rows: Int, outputs: Int) -> Int {
        let (elements, overflow) = rows.multipliedReportingOverflow(by: outputs)
        guard !overflow, elements <= Int.max / 32 - (64 << 10) else { return .max }
        return (64 << 10) + elements * 32
    }

    /// The partial products in an answer, checked against the request.
    ///
    /// - Throws: `BackendError.badResponse` for a missing output, a wrong datatype or shape, or
    ///   a non-finite float.
    static func partials(
        from response: InferenceResponse, signature: KServeV2Signature, rows: Int, outputs: Int, backend: String
    ) throws(BackendError) -> ShareMatrix {
        let tensor: Tensor
        if let named = response.output(named: signature.outputName) {
            tensor = named
        } else if response.outputs.count == 1, let only = response.outputs.first {
            tensor = only
        } else {
            throw .badResponse("\(backend): the answer has no output '\(signature.outputName)' (it has \(response.outputs.count) outputs)")
        }
        let expected = KServeV2Signature.datatype(of: signature.arithmetic)
        guard tensor.datatype == expected else {
            throw .badResponse("\(backend): output '\(tensor.name)' is \(tensor.datatype), expected \(expected)")
        }
        guard tensor.shape == [rows, outputs] else {
            throw .badResponse("\(backend): output '\(tensor.name)' has shape \(tensor.shape), expected [\(rows), \(outputs)]")
        }
        // Tensor guarantees data.count == rows × outputs from here on.
        switch tensor.data {
        case .int64(let values):
            return .ring(Matrix(rows: rows, columns: outputs, elements: values))
        case .fp32(let values):
            guard values.allSatisfy(\.isFinite) else { throw .badResponse("\(backend): output '\(tensor.name)' has a non-finite value") }
            return .real(Matrix(rows: rows, columns: outputs, elements: values.map(Double.init)))
        case .fp64(let values):
            guard values.allSatisfy(\.isFinite) else { throw .badResponse("\(backend): output '\(tensor.name)' has a non-finite value") }
            return .real(Matrix(rows: rows, columns: outputs, elements: values))
        }
    }
}
