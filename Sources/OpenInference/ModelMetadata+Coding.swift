extension ModelMetadata {
    /// Encodes the metadata as JSON.
    public func encoded() throws(OpenInferenceError) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"name\":")
        writer.string(name)
        writer.raw(",\"versions\":[")
        for (index, version) in versions.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(version)
        }
        writer.raw("],\"platform\":")
        writer.string(platform)
        writer.raw(",\"inputs\":")
        try Self.write(inputs, to: &writer)
        writer.raw(",\"outputs\":")
        try Self.write(outputs, to: &writer)
        if !parameters.isEmpty {
            writer.raw(",\"parameters\":")
            try writer.object(parameters)
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    private static func write(_ tensors: [TensorMetadata], to writer: inout JSONWriter) throws(OpenInferenceError) {
        writer.byte(UInt8(ascii: "["))
        for (index, tensor) in tensors.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"name\":")
            writer.string(tensor.name)
            writer.raw(",\"datatype\":")
            writer.string(tensor.datatype)
            writer.raw(",\"shape\":[")
            for (position, dimension) in tensor.shape.enumerated() {
                if position > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.int(Int64(dimension))
            }
            writer.byte(UInt8(ascii: "]"))
            if !tensor.parameters.isEmpty {
                writer.raw(",\"parameters\":")
                try writer.object(tensor.parameters)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
    }

    /// Decodes a metadata answer. `inputs` and `outputs` may be absent (as empty lists);
    /// `name` is required.
    ///
    /// - Throws: `OpenInferenceError` for malformed JSON or anything above `limits`.
    public init(decoding body: [UInt8], limits: OpenInferenceLimits = OpenInferenceLimits()) throws(OpenInferenceError) {
        self = try TensorCoding.decode(body, jsonLength: nil, limits: limits) { (reader, _) throws(OpenInferenceError) in
            try reader.beginObject("a model metadata object")
            var name: String?, versions: [String]?, platform: String?
            var inputs: [TensorMetadata]?, outputs: [TensorMetadata]?, parameters: [String: JSONValue]?
            var first = true
            while let key = try reader.nextKey(&first) {
                switch key {
                case "name":
                    guard name == nil else { throw .inconsistent("'name' given twice") }
                    name = try reader.readString()
                case "versions":
                    guard versions == nil else { throw .inconsistent("'versions' given twice") }
                    versions = try reader.readNull() ? [] : try Self.readStrings(&reader, limits: limits)
                case "platform":
                    guard platform == nil else { throw .inconsistent("'platform' given twice") }
                    platform = try reader.readNull() ? "" : try reader.readString()
                case "inputs":
                    guard inputs == nil else { throw .inconsistent("'inputs' given twice") }
                    inputs = try reader.readNull() ? [] : try Self.readTensors(&reader, field: "inputs", limits: limits)
                case "outputs":
                    guard outputs == nil else { throw .inconsistent("'outputs' given twice") }
                    outputs = try reader.readNull() ? [] : try Self.readTensors(&reader, field: "outputs", limits: limits)
                case "parameters":
                    guard parameters == nil else { throw .inconsistent("'parameters' given twice") }
                    parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
                default:
                    try reader.skipValue()
                }
            }
            guard let name else { throw .malformed("model metadata needs 'name'") }
            return ModelMetadata(name: name, versions: versions ?? [], platform: platform ?? "", inputs: inputs ?? [], outputs: outputs ?? [],
                                 parameters: parameters ?? [:])
        }
    }

    private static func readStrings(_ reader: inout JSONReader, limits: OpenInferenceLimits) throws(OpenInferenceError) -> [String] {
        try reader.beginArray("an array of strings")
        var strings = [String]()
        var first = true
        while try reader.nextElement(&first) {
            guard strings.count < limits.maxTensors else { throw .tooLarge("more than \(limits.maxTensors) versions") }
            strings.append(try reader.readString())
        }
        return strings
    }

    private static func readTensors(_ reader: inout JSONReader, field: String, limits: OpenInferenceLimits) throws(OpenInferenceError) -> [TensorMetadata] {
        try reader.beginArray("an array of tensor metadata in '\(field)'")
        var tensors = [TensorMetadata]()
        var first = true
        while try reader.nextElement(&first) {
            guard tensors.count < limits.maxTensors else { throw .tooLarge("'\(field)' has more than \(limits.maxTensors) tensors") }
            let index = tensors.count
            try reader.beginObject("a tensor metadata object in '\(field)'")
            var name: String?, datatype: String?, shape: [Int]?, parameters: [String: JSONValue]?
            var firstKey = true
            while let key = try reader.nextKey(&firstKey) {
                switch key {
                case "name":
                    guard name == nil else { throw .inconsistent("\(field)[\(index)]: 'name' given twice") }
                    name = try reader.readString()
                case "datatype":
                    guard datatype == nil else { throw .inconsistent("\(field)[\(index)]: 'datatype' given twice") }
                    datatype = try reader.readString()
                case "shape":
                    guard shape == nil else { throw .inconsistent("\(field)[\(index)]: 'shape' given twice") }
                    shape = try TensorCoding.readShape(&reader, allowingWildcards: true, limits: limits)
                case "parameters":
                    guard parameters == nil else { throw .inconsistent("\(field)[\(index)]: 'parameters' given twice") }
                    parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
                default:
                    try reader.skipValue()
                }
            }
            guard let name, let datatype, let shape else {
                throw .malformed("\(field)[\(index)]: tensor metadata needs 'name', 'datatype' and 'shape'")
            }
            tensors.append(TensorMetadata(name: name, datatype: datatype, shape: shape, parameters: parameters ?? [:]))
        }
        return tensors
    }
}
