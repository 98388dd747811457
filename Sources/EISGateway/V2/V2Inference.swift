package import OpenInference

/// One inbound Open Inference (KServe V2) request, read against a model: the rows to run, and
/// how the client wants its answer (rank, datatype, binary or JSON, its id).
///
/// The model shows V2 clients one input and one output, `[-1, width]`, so a tensor of shape
/// `[n, width]` is `n` rows and `[width]` is one; the answer has the same rank. FP64 in gives
/// FP64 out (the gateway's results are exact to about 1e-7, more than FP32 keeps); FP32 and
/// INT64 give FP32, the datatype the metadata declares.
package struct V2Inference: Sendable {
    /// What a model looks like to V2 clients.
    package struct Signature: Sendable {
        /// Name of its one input tensor.
        package var inputName: String
        /// Name of its one output tensor.
        package var outputName: String
        /// Values per input row.
        package var inputs: Int
        /// Values per output row.
        package var outputs: Int

        /// Describes a model.
        package init(inputName: String, outputName: String, inputs: Int, outputs: Int) {
            self.inputName = inputName
            self.outputName = outputName
            self.inputs = inputs
            self.outputs = outputs
        }

        /// The `GET /v2/models/{name}` answer: both tensors FP32 with a variable batch dimension.
        package func metadata(model: String, version: String) -> ModelMetadata {
            ModelMetadata(
                name: model, versions: [version], platform: "eis",
                inputs: [TensorMetadata(name: inputName, datatype: TensorDatatype.fp32.rawValue, shape: [-1, inputs])],
                outputs: [TensorMetadata(name: outputName, datatype: TensorDatatype.fp32.rawValue, shape: [-1, outputs])])
        }

        /// Decoder limits: no element takes less than one byte of the body, so `maxBodyBytes`
        /// elements bound what a body can make the decoder allocate, while a request with a few
        /// rows too many still decodes and gets the precise `too_many_rows`.
        package static func limits(maxBodyBytes: Int) -> OpenInferenceLimits {
            OpenInferenceLimits(maxTensors: 8, maxElements: max(1, maxBodyBytes))
        }
    }

    /// The input rows, each `inputs` wide.
    package let rows: [[Double]]
    /// Whether the input was `[n, width]` (answered `[n, outputs]`) rather than `[width]`.
    package let batched: Bool
    /// The answer's datatype.
    package let outputDatatype: TensorDatatype
    /// Whether the output goes back as binary tensor data.
    package let binaryOutput: Bool
    /// The request's id, echoed.
    package let id: String?
    /// The output's name.
    package let outputName: String

    /// Reads `request` for a model with `signature`.
    ///
    /// - Throws: `GatewayError` 400 for the wrong number or names of tensors, a shape that is
    ///   not `[width]` or `[n, width]`, no rows or more than `maxRows`, or an INT64 value that
    ///   Double cannot hold exactly.
    package init(_ request: InferenceRequest, signature: Signature, maxRows: Int) throws(GatewayError) {
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw .wrongTensor("the model takes one input tensor, '\(signature.inputName)'; the request has \(request.inputs.count)")
        }
        guard input.name == signature.inputName else {
            throw .wrongTensor("unknown input '\(input.name.prefix(64))'; the model's input is '\(signature.inputName)'")
        }
        for output in request.outputs where output.name != signature.outputName {
            throw .wrongTensor("unknown output '\(output.name.prefix(64))'; the model's output is '\(signature.outputName)'")
        }
        let width = signature.inputs
        let count: Int
        switch input.shape.count {
        case 1 where input.shape[0] == width: count = 1
        case 2 where input.shape[1] == width: count = input.shape[0]
        default:
            throw .wrongLength("input '\(input.name)': shape \(input.shape) is neither [\(width)] nor [n, \(width)]")
        }
        guard count > 0 else { throw .missingInput("input '\(input.name)': shape \(input.shape) has no rows") }
        guard count <= maxRows else { throw .tooManyRows("\(count) rows exceed max_rows_per_request = \(maxRows)") }
        let values: [Double]
        switch input.data {
        case .fp32(let floats): values = floats.map(Double.init)
        case .fp64(let doubles): values = doubles
        case .int64(let integers):
            // Refused, not rounded: an integer beyond 2^53 has no exact Double (invariant 5).
            if let index = integers.firstIndex(where: { Double(exactly: $0) == nil }) {
                throw .outOfRange("input '\(input.name)': element \(index) is an INT64 that is not exact as a number (beyond ±2^53)")
            }
            values = integers.map(Double.init)
        }
        rows = (0..<count).map { row in Array(values[(row * width)..<((row + 1) * width)]) }
        batched = input.shape.count == 2
        outputDatatype = input.datatype == .fp64 ? .fp64 : .fp32
        binaryOutput = request.wantsBinaryOutput(named: signature.outputName)
        id = request.id
        outputName = signature.outputName
    }

    /// The answer for `outputs` (one row per input row).
    package func response(_ outputs: [[Double]], model: String, version: String) throws(OpenInferenceError) -> InferenceBody {
        let flat = outputs.flatMap { $0 }
        let width = outputs.first?.count ?? 0
        let shape = batched ? [outputs.count, width] : [width]
        let data: TensorData = outputDatatype == .fp64 ? .fp64(flat) : .fp32(flat.map(Float.init))
        let tensor = try Tensor(name: outputName, shape: shape, data: data)
        return try InferenceResponse(modelName: model, modelVersion: version, id: id, outputs: [tensor])
            .encoded(binary: binaryOutput ? .all : .none)
    }
}
