extension InferenceResponse {
    /// Encodes the response as JSON, with the outputs `binary` selects as binary tensor data.
    ///
    /// - Throws: `.invalidValue` for a NaN or infinite float sent in JSON (JSON cannot carry it).
    public func encoded(binary: BinaryTensors = .none) throws(OpenInferenceError) -> InferenceBody {
        var writer = JSONWriter(capacity: 256 + outputs.reduce(0) { $0 + $1.data.count * 12 })
        var binaryData = [UInt8]()
        writer.byte(UInt8(ascii: "{"))
        if let modelName {
            writer.raw("\"model_name\":")
            writer.string(modelName)
            writer.byte(UInt8(ascii: ","))
        }
        if let modelVersion {
            writer.raw("\"model_version\":")
            writer.string(modelVersion)
            writer.byte(UInt8(ascii: ","))
        }
        if let id {
            writer.raw("\"id\":")
            writer.string(id)
            writer.byte(UInt8(ascii: ","))
        }
        if !parameters.isEmpty {
            writer.raw("\"parameters\":")
            try writer.object(parameters)
            writer.byte(UInt8(ascii: ","))
        }
        writer.raw("\"outputs\":")
        let anyBinary = try TensorCoding.write(outputs, binary: binary, to: &writer, binaryData: &binaryData)
        writer.byte(UInt8(ascii: "}"))
        return TensorCoding.body(json: writer.bytes, binaryData: binaryData, anyBinary: anyBinary)
    }

    /// Decodes a response body.
    ///
    /// - Parameters:
    ///   - jsonLength: the `Inference-Header-Content-Length` value (see
    ///     `InferenceBody.jsonLength(fromHeader:bodyCount:)`), nil for a JSON-only body.
    /// - Throws: `OpenInferenceError` for malformed JSON, unsupported datatypes, counts that
    ///   disagree with shapes or the body, or anything above `limits`.
    public init(decoding body: [UInt8], jsonLength: Int? = nil, limits: OpenInferenceLimits = OpenInferenceLimits()) throws(OpenInferenceError) {
        self = try TensorCoding.decode(body, jsonLength: jsonLength, limits: limits) { (reader, buffer) throws(OpenInferenceError) in
            try reader.beginObject("an inference response object")
            var modelName: String?, modelVersion: String?, id: String?
            var parameters: [String: JSONValue]?, outputs: [TensorCoding.Header]?
            var first = true
            while let key = try reader.nextKey(&first) {
                switch key {
                case "model_name":
                    guard modelName == nil else { throw .inconsistent("'model_name' given twice") }
                    modelName = try reader.readString()
                case "model_version":
                    guard modelVersion == nil else { throw .inconsistent("'model_version' given twice") }
                    // Some servers send null for an unversioned model.
                    modelVersion = try reader.readNull() ? nil : try reader.readString()
                case "id":
                    guard id == nil else { throw .inconsistent("'id' given twice") }
                    id = try reader.readNull() ? nil : try reader.readString()
                case "parameters":
                    guard parameters == nil else { throw .inconsistent("'parameters' given twice") }
                    parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
                case "outputs":
                    guard outputs == nil else { throw .inconsistent("'outputs' given twice") }
                    outputs = try TensorCoding.readHeaders(&reader, field: "outputs", limits: limits)
                default:
                    try reader.skipValue()
                }
            }
            guard let outputs else { throw .malformed("an inference response needs 'outputs'") }
            // The JSON must be whole before binary sizes are matched against what follows it.
            try reader.finish()
            let tensors = try TensorCoding.tensors(outputs, body: buffer, binaryStart: jsonLength, limits: limits)
            return InferenceResponse(modelName: modelName, modelVersion: modelVersion, id: id, outputs: tensors, parameters: parameters ?? [:])
        }
    }
}
