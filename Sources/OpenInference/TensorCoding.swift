/// Reading and writing the tensor lists that requests and responses share (`inputs`,
/// `outputs`), in JSON and in the binary extension.
///
/// Decoding runs in two passes, because a tensor's `data` may come before its `datatype` and
/// `shape` in the object: the first pass reads each tensor's header and notes where its data
/// are; the second checks every count against the shape, the limits and the body, and only then
/// allocates and parses.
enum TensorCoding {
    /// The parameter that marks a tensor as binary and gives its byte size.
    static let binarySizeKey = "binary_data_size"

    /// One tensor object as read in the first pass.
    struct Header {
        var name: String
        var datatype: String
        var shape: [Int]
        var parameters: [String: JSONValue]
        /// Byte range of the JSON `data` value, when present.
        var data: Range<Int>?
    }

    /// Reads a JSON array of tensor objects (first pass).
    static func readHeaders(_ reader: inout JSONReader, field: String, limits: OpenInferenceLimits) throws(OpenInferenceError) -> [Header] {
        try reader.beginArray("an array of tensors in '\(field)'")
        var headers = [Header]()
        var first = true
        while try reader.nextElement(&first) {
            guard headers.count < limits.maxTensors else { throw .tooLarge("'\(field)' has more than \(limits.maxTensors) tensors") }
            headers.append(try readHeader(&reader, field: field, index: headers.count, limits: limits))
        }
        return headers
    }

    private static func readHeader(_ reader: inout JSONReader, field: String, index: Int, limits: OpenInferenceLimits) throws(OpenInferenceError) -> Header {
        try reader.beginObject("a tensor object in '\(field)'")
        var name: String?, datatype: String?, shape: [Int]?, parameters: [String: JSONValue]?, data: Range<Int>?
        var first = true
        while let key = try reader.nextKey(&first) {
            switch key {
            case "name":
                guard name == nil else { throw duplicate(key, field: field, index: index) }
                name = try reader.readString()
            case "datatype":
                guard datatype == nil else { throw duplicate(key, field: field, index: index) }
                datatype = try reader.readString()
            case "shape":
                guard shape == nil else { throw duplicate(key, field: field, index: index) }
                shape = try readShape(&reader, allowingWildcards: false, limits: limits)
            case "parameters":
                guard parameters == nil else { throw duplicate(key, field: field, index: index) }
                // Some servers write null for "no parameters".
                parameters = try reader.readNull() ? [:] : try reader.readObjectValue()
            case "data":
                guard data == nil else { throw duplicate(key, field: field, index: index) }
                reader.skipWhitespace()
                let start = reader.position
                try reader.skipValue()
                data = start..<reader.position
            default:
                try reader.skipValue()
            }
        }
        guard let name else { throw .malformed("\(field)[\(index)]: no 'name'") }
        guard let datatype else { throw .malformed("tensor '\(name)': no 'datatype'") }
        guard let shape else { throw .malformed("tensor '\(name)': no 'shape'") }
        return Header(name: name, datatype: datatype, shape: shape, parameters: parameters ?? [:], data: data)
    }

    private static func duplicate(_ key: String, field: String, index: Int) -> OpenInferenceError {
        .inconsistent("\(field)[\(index)]: '\(key)' given twice")
    }

    /// Reads a shape: integers ≥ 0, or ≥ −1 in metadata, where −1 means "any size".
    static func readShape(_ reader: inout JSONReader, allowingWildcards: Bool, limits: OpenInferenceLimits) throws(OpenInferenceError) -> [Int] {
        try reader.beginArray("a shape array")
        var shape = [Int]()
        var first = true
        while try reader.nextElement(&first) {
            guard shape.count < limits.maxRank else { throw .tooLarge("a shape has more than \(limits.maxRank) dimensions") }
            let start = reader.position
            let dimension = try reader.readInt64()
            guard dimension >= (allowingWildcards ? -1 : 0), let value = Int(exactly: dimension) else {
                throw .invalidValue("shape dimension at byte \(start) is negative")
            }
            shape.append(value)
        }
        return shape
    }

    /// Turns first-pass headers into tensors (second pass).
    ///
    /// - Parameters:
    ///   - binaryStart: where binary data begin (the JSON length), or nil for a JSON-only body;
    ///     binary tensors then take consecutive ranges, which must use up the body exactly.
    ///   - limits: `maxElements` counts across all the tensors of the message.
    static func tensors(
        _ headers: [Header], body: UnsafeBufferPointer<UInt8>, binaryStart: Int?, limits: OpenInferenceLimits
    ) throws(OpenInferenceError) -> [Tensor] {
        var budget = limits.maxElements
        var offset = binaryStart ?? body.count
        var tensors = [Tensor]()
        tensors.reserveCapacity(headers.count)
        for header in headers {
            let datatype = try TensorDatatype.supported(named: header.datatype, tensor: header.name)
            let count = try Tensor.elementCount(of: header.shape, tensor: header.name, limit: budget)
            budget -= count
            var parameters = header.parameters
            let data: TensorData
            if let size = parameters.removeValue(forKey: binarySizeKey) {
                guard header.data == nil else {
                    throw .inconsistent("tensor '\(header.name)': has both '\(binarySizeKey)' and JSON 'data'")
                }
                guard binaryStart != nil else {
                    throw .inconsistent("tensor '\(header.name)': '\(binarySizeKey)' without an \(InferenceBody.headerLengthField) header")
                }
                guard let bytes = size.intValue, bytes >= 0 else {
                    throw .malformed("tensor '\(header.name)': '\(binarySizeKey)' is not a non-negative integer")
                }
                data = try readBinary(datatype, count: count, declaredBytes: bytes, body: body, offset: &offset, tensor: header.name)
            } else {
                guard let range = header.data else { throw .malformed("tensor '\(header.name)': no 'data'") }
                data = try readJSONData(datatype, range: range, body: body, shape: header.shape, count: count, tensor: header.name, limits: limits)
            }
            tensors.append(try Tensor(name: header.name, shape: header.shape, data: data, parameters: parameters))
        }
        if binaryStart != nil, offset != body.count {
            throw .inconsistent("\(body.count - offset) bytes of binary data belong to no tensor")
        }
        return tensors
    }

    private static func readBinary(
        _ datatype: TensorDatatype, count: Int, declaredBytes: Int64, body: UnsafeBufferPointer<UInt8>, offset: inout Int, tensor: String
    ) throws(OpenInferenceError) -> TensorData {
        switch datatype {
        case .int64: .int64(try readBinary(Int64.self, count: count, declaredBytes: declaredBytes, body: body, offset: &offset, tensor: tensor))
        case .fp32: .fp32(try readBinary(Float.self, count: count, declaredBytes: declaredBytes, body: body, offset: &offset, tensor: tensor))
        case .fp64: .fp64(try readBinary(Double.self, count: count, declaredBytes: declaredBytes, body: body, offset: &offset, tensor: tensor))
        default: throw .unsupported("tensor '\(tensor)': datatype \(datatype) is not supported")
        }
    }

    private static func readBinary<Element: TensorElement>(
        _ type: Element.Type, count: Int, declaredBytes: Int64, body: UnsafeBufferPointer<UInt8>, offset: inout Int, tensor: String
    ) throws(OpenInferenceError) -> [Element] {
        // count is within the element limit, so this cannot overflow; check anyway.
        let (expected, overflow) = count.multipliedReportingOverflow(by: Element.byteWidth)
        guard !overflow, Int64(expected) == declaredBytes else {
            throw .inconsistent("tensor '\(tensor)': \(binarySizeKey) \(declaredBytes) is not \(count) × \(Element.byteWidth) bytes")
        }
        guard expected <= body.count - offset else {
            throw .inconsistent("tensor '\(tensor)': \(expected) bytes of binary data, but only \(body.count - offset) left in the body")
        }
        let raw = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: body[offset..<(offset + expected)]))
        offset += expected
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                buffer[index] = Element.load(from: raw, offset: index * Element.byteWidth)
            }
            initialized = count
        }
    }

    private static func readJSONData(
        _ datatype: TensorDatatype, range: Range<Int>, body: UnsafeBufferPointer<UInt8>, shape: [Int], count: Int, tensor: String, limits: OpenInferenceLimits
    ) throws(OpenInferenceError) -> TensorData {
        // Each value takes at least two bytes (a digit and a separator), so a shape that promises
        // more values than the text can hold is refused before the array is allocated.
        guard count <= (range.count + 1) / 2 else {
            throw .inconsistent("tensor '\(tensor)': shape \(shape) needs \(count) values; 'data' is too short to hold them")
        }
        var reader = JSONReader(body, range: range, maxDepth: limits.maxDepth)
        let data: TensorData = switch datatype {
        case .int64: .int64(try readValues(Int64.self, &reader, shape: shape, count: count, tensor: tensor))
        case .fp32: .fp32(try readValues(Float.self, &reader, shape: shape, count: count, tensor: tensor))
        case .fp64: .fp64(try readValues(Double.self, &reader, shape: shape, count: count, tensor: tensor))
        default: throw .unsupported("tensor '\(tensor)': datatype \(datatype) is not supported")
        }
        try reader.finish()
        return data
    }

    /// Reads `data` flat (`[1,2,3,4]`) or nested exactly as the shape says (`[[1,2],[3,4]]`).
    private static func readValues<Element: TensorElement>(
        _ type: Element.Type, _ reader: inout JSONReader, shape: [Int], count: Int, tensor: String
    ) throws(OpenInferenceError) -> [Element] {
        var values = [Element]()
        values.reserveCapacity(count)
        try reader.beginArray("an array in tensor '\(tensor)' data")
        if shape.count > 1, reader.peek() == UInt8(ascii: "[") {
            try readNested(&reader, level: 0, shape: shape, into: &values, tensor: tensor)
        } else {
            var first = true
            while try reader.nextElement(&first) {
                guard values.count < count else {
                    throw .inconsistent("tensor '\(tensor)': 'data' has more values than shape \(shape) holds (\(count))")
                }
                values.append(try Element.read(from: &reader))
            }
            guard values.count == count else {
                throw .inconsistent("tensor '\(tensor)': 'data' has \(values.count) values, shape \(shape) holds \(count)")
            }
        }
        return values
    }

    private static func readNested<Element: TensorElement>(
        _ reader: inout JSONReader, level: Int, shape: [Int], into values: inout [Element], tensor: String
    ) throws(OpenInferenceError) {
        var first = true
        for _ in 0..<shape[level] {
            guard try reader.nextElement(&first) else {
                throw .inconsistent("tensor '\(tensor)': nested 'data' has fewer entries than shape \(shape) at dimension \(level)")
            }
            if level == shape.count - 1 {
                values.append(try Element.read(from: &reader))
            } else {
                try reader.beginArray("a nested array in tensor '\(tensor)' data")
                try readNested(&reader, level: level + 1, shape: shape, into: &values, tensor: tensor)
            }
        }
        guard try !reader.nextElement(&first) else {
            throw .inconsistent("tensor '\(tensor)': nested 'data' has more entries than shape \(shape) at dimension \(level)")
        }
    }

    // MARK: Writing

    /// Writes a JSON array of tensor objects; the data of tensors `binary` selects go to `binaryData`.
    ///
    /// - Returns: whether any tensor went to `binaryData` (even an empty one).
    @discardableResult
    static func write(_ tensors: [Tensor], binary: BinaryTensors, to writer: inout JSONWriter, binaryData: inout [UInt8]) throws(OpenInferenceError) -> Bool {
        var anyBinary = false
        writer.byte(UInt8(ascii: "["))
        for (index, tensor) in tensors.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"name\":")
            writer.string(tensor.name)
            writer.raw(",\"datatype\":")
            writer.string(tensor.datatype.rawValue)
            writer.raw(",\"shape\":[")
            for (position, dimension) in tensor.shape.enumerated() {
                if position > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.int(Int64(dimension))
            }
            writer.byte(UInt8(ascii: "]"))
            var parameters = tensor.parameters
            let inBinary = binary.contains(tensor.name)
            if inBinary {
                anyBinary = true
                let start = binaryData.count
                appendBinary(tensor.data, to: &binaryData)
                parameters[binarySizeKey] = .int(Int64(binaryData.count - start))
            } else {
                // A stale size from a decoded tensor must not claim binary data that is not sent.
                parameters.removeValue(forKey: binarySizeKey)
            }
            if !parameters.isEmpty {
                writer.raw(",\"parameters\":")
                try writer.object(parameters)
            }
            if !inBinary {
                writer.raw(",\"data\":")
                try writeData(tensor.data, to: &writer)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
        return anyBinary
    }

    private static func writeData(_ data: TensorData, to writer: inout JSONWriter) throws(OpenInferenceError) {
        switch data {
        case .int64(let values): try writeValues(values, to: &writer)
        case .fp32(let values): try writeValues(values, to: &writer)
        case .fp64(let values): try writeValues(values, to: &writer)
        }
    }

    private static func writeValues<Element: TensorElement>(_ values: [Element], to writer: inout JSONWriter) throws(OpenInferenceError) {
        writer.byte(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            try value.write(to: &writer)
        }
        writer.byte(UInt8(ascii: "]"))
    }

    private static func appendBinary(_ data: TensorData, to bytes: inout [UInt8]) {
        switch data {
        case .int64(let values): bytes.reserveCapacity(bytes.count + values.count * 8); for value in values { value.append(to: &bytes) }
        case .fp32(let values): bytes.reserveCapacity(bytes.count + values.count * 4); for value in values { value.append(to: &bytes) }
        case .fp64(let values): bytes.reserveCapacity(bytes.count + values.count * 8); for value in values { value.append(to: &bytes) }
        }
    }

    /// Joins the JSON part and the binary part into a body (plain JSON when nothing is binary).
    static func body(json: [UInt8], binaryData: [UInt8], anyBinary: Bool) -> InferenceBody {
        guard anyBinary else { return InferenceBody(bytes: json, jsonLength: nil) }
        var bytes = json
        bytes.append(contentsOf: binaryData)
        return InferenceBody(bytes: bytes, jsonLength: json.count)
    }
}

extension TensorCoding {
    /// Runs `read` over the JSON part of a body (all of it, or the first `jsonLength` bytes)
    /// and requires that nothing but whitespace follows the JSON value.
    static func decode<Result>(
        _ body: [UInt8], jsonLength: Int?, limits: OpenInferenceLimits,
        _ read: (inout JSONReader, UnsafeBufferPointer<UInt8>) throws(OpenInferenceError) -> Result
    ) throws(OpenInferenceError) -> Result {
        if let jsonLength {
            guard (0...body.count).contains(jsonLength) else {
                throw .inconsistent("JSON header length \(jsonLength) does not fit the body's \(body.count) bytes")
            }
        }
        return try body.withUnsafeBufferPointer { (buffer) throws(OpenInferenceError) -> Result in
            var reader = JSONReader(buffer, range: 0..<(jsonLength ?? buffer.count), maxDepth: limits.maxDepth)
            let result = try read(&reader, buffer)
            try reader.finish()
            return result
        }
    }
}
