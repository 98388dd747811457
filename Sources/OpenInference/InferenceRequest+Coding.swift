extension InferenceRequest {
    /// Encodes the request as JSON, with the inputs `binary` selects as binary tensor data.
    ///
    /// - Throws: `.invalidValue` for a NaN or infinite float sent in JSON (JSON cannot carry it).
    public func encoded(binary: BinaryTensors = .none) throws(OpenInferenceError) -> InferenceBody {
        var writer = JSONWriter(capacity: 256 + inputs.reduce(0) { $0 + $1.data.count * 12 })
        var binaryData = [UInt8]()
        writer.byte(UInt8(ascii: "{"))
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
        writer.raw("\"inputs\":")
        let anyBinary = try TensorCoding.write(inputs, binary: binary, to: &writer, binaryData: &binaryData)
        if !outputs.isEmpty {
            writer.raw(",\"outputs\":[")
            for (index, output) in outputs.enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.raw("{\"name\":")
                writer.string(output.name)
                if !output.parameters.isEmpty {
                    writer.raw(",\"parameters\":")
                    try writer.object(output.parameters)
                }
                writer.byte(UInt8(ascii: "}"))
            }
            writer.byte(UInt8(ascii: "]"))
        }
        writer.byte(UInt8(ascii: "}"))
        return TensorCoding.body(json: writer.bytes, binaryData: binaryData, anyBinary: anyBinary)
    }

    /// Decodes a request body.
    ///
    /// - Parameters:
    ///   - jsonLength: the `Inference-Header-Content-Length` value (see
    ///     `InferenceBody.jsonLength(fromHeader:bodyCount:)`), nil for a JSON-only body.
    /// - Throws: `OpenInferenceError` for malformed JSON, unsupported datatypes, counts that
    ///   disagree with shapes or the body, or anything above `limits`.
    public init(decoding body: [UInt8], jsonLength: Int? = nil, limits: OpenInferenceLimits = OpenInferenceLimits()) throws(OpenInferenceError) {
        self = try TensorCoding.decode(body, jsonLength: jsonLength, limits: limits) { (reader, buffer) throws(OpenInferenceError) in
            try reader.beginObject("an inference request object")
            var id: String?, parameters: [String: JSONValue]?, inputs: [TensorCoding.Header]?, outputs: [RequestedOutput]?
            var first = true
            while let key = try reader.nextKey(&first) {
                switch key {
                case "id":
                    guard id == nil else { throw .inconsistent("'id' given twice") }
                    id = try reader.readNull() ? nil : try reader.readString()
                case "parameters":
                    guard parameters == nil else { throw .inconsistent("'parameters' given twice") }
                    parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
                case "inputs":
                    guard inputs == nil else { throw .inconsistent("'inputs' given twice") }
                    inputs = try TensorCoding.readHeaders(&reader, field: "inputs", limits: limits)
                case "outputs":
                    guard outputs == nil else { throw .inconsistent("'outputs' given twice") }
                    outputs = try Self.readRequestedOutputs(&reader, limits: limits)
                default:
                    try reader.skipValue()
                }
            }
            guard let inputs else { throw .malformed("an inference request needs 'inputs'") }
            // The JSON must be whole before binary sizes are matched against what follows it.
            try reader.finish()
            let tensors = try TensorCoding.tensors(inputs, body: buffer, binaryStart: jsonLength, limits: limits)
            return InferenceRequest(id: id, inputs: tensors, outputs: outputs ?? [], parameters: parameters ?? [:])
        }
    }

    private static func readRequestedOutputs(_ reader: inout JSONReader, limits: OpenInferenceLimits) throws(OpenInferenceError) -> [RequestedOutput] {
        try reader.beginArray("an array of requested outputs")
        var outputs = [RequestedOutput]()
        var first = true
        while try reader.nextElement(&first) {
            guard outputs.count < limits.maxTensors else { throw .tooLarge("'outputs' has more than \(limits.maxTensors) entries") }
            try reader.beginObject("a requested output object")
            var name: String?, parameters: [String: JSONValue]?
            var firstKey = true
            while let key = try reader.nextKey(&firstKey) {
                switch key {
                case "name":
                    guard name == nil else { throw .inconsistent("outputs[\(outputs.count)]: 'name' given twice") }
                    name = try reader.readString()
                case "parameters":
                    guard parameters == nil else { throw .inconsistent("outputs[\(outputs.count)]: 'parameters' given twice") }
                    parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
                default:
                    try reader.skipValue()
                }
            }
            guard let name else { throw .malformed("outputs[\(outputs.count)]: no 'name'") }
            outputs.append(RequestedOutput(name: name, parameters: parameters ?? [:]))
        }
        return outputs
    }
}
