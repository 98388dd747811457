import EISCore
import Foundation
import Testing
import EISTestSupport

/// Builds safetensors files byte by byte: 8-byte little-endian header length, JSON header, data.
struct SafetensorsBuilder {
    /// One tensor entry; `offsets` and `shapeText` override the computed ones to make broken files.
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var data: [UInt8]
        var offsets: (Int, Int)?
        var shapeText: String?
    }

    var entries: [Entry] = []
    /// Extra raw JSON members, e.g. `"__metadata__": {...}`.
    var extraJSON: [String] = []

    /// Adds a tensor with its raw little-endian data.
    mutating func add(_ name: String, dtype: String, shape: [Int], data: [UInt8], offsets: (Int, Int)? = nil) {
        entries.append(Entry(name: name, dtype: dtype, shape: shape, data: data, offsets: offsets))
    }

    /// Adds an F32 tensor.
    mutating func addF32(_ name: String, shape: [Int], values: [Float]) {
        add(name, dtype: "F32", shape: shape, data: values.flatMap { le($0.bitPattern) })
    }

    /// The header JSON and data section.
    func parts() -> (header: [UInt8], data: [UInt8]) {
        var members = extraJSON
        var data = [UInt8]()
        for entry in entries {
            let begin = data.count
            data += entry.data
            let (b, e) = entry.offsets ?? (begin, data.count)
            let shape = entry.shapeText ?? "[" + entry.shape.map(String.init).joined(separator: ",") + "]"
            members.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":\(shape),\"data_offsets\":[\(b),\(e)]}")
        }
        return (Array(("{" + members.joined(separator: ",") + "}").utf8), data)
    }

    /// The whole file.
    func bytes() -> [UInt8] {
        let (header, data) = parts()
        return le(UInt64(header.count)) + header + data
    }
}

/// Parses `bytes` and returns the `.malformed` reason, or records an issue if it did not fail so.
@discardableResult
func expectMalformed(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        _ = try SafetensorsFile(bytes: bytes)
        Issue.record("parsed a malformed file", sourceLocation: sourceLocation)
    } catch {
        if case .malformed(let why) = error { return why }
        Issue.record("expected .malformed, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Parses `bytes`, then reads its layers, and returns the `.malformed` reason layers(in:) gave.
@discardableResult
func expectMalformedLayers(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
    let file = try SafetensorsFile(bytes: bytes)
    do {
        _ = try LinearLayer.layers(in: file)
        Issue.record("read layers from a malformed file", sourceLocation: sourceLocation)
    } catch {
        if case .malformed(let why) = error { return why }
        Issue.record("expected .malformed, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("SafetensorsFile and LinearLayer")
struct SafetensorsFileTests {
    // MARK: Decoding each dtype

    @Test("F32 values decode exactly from their bit patterns")
    func f32BitPatternsDecodeExactly() throws {
        var builder = SafetensorsBuilder()
        let bits: [UInt32] = [0x3F80_0000, 0xC000_0000, 0x0000_0001, 0x7F7F_FFFF, 0x8000_0000, 0x3DCC_CCCD]
        builder.add("t", dtype: "F32", shape: [2, 3], data: bits.flatMap(le))
        let tensor = try #require(try SafetensorsFile(bytes: builder.bytes()).tensors["t"])
        #expect(tensor.dtype == "F32")
        #expect(tensor.shape == [2, 3])
        let expected: [Double] = [1.0, -2.0, 0x1p-149, 0x1.fffffep127, -0.0, 0x1.99999ap-4]
        #expect(tensor.values == expected)
        #expect(tensor.values[4].sign == .minus)
    }

    @Test("F64 values decode exactly from their bit patterns")
    func f64BitPatternsDecodeExactly() throws {
        var builder = SafetensorsBuilder()
        let bits: [UInt64] = [0x3FF0_0000_0000_0000, 0xC000_0000_0000_0000, 0x3FB9_9999_9999_999A, 0x0000_0000_0000_0001]
        builder.add("d", dtype: "F64", shape: [4], data: bits.flatMap(le))
        let tensor = try #require(try SafetensorsFile(bytes: builder.bytes()).tensors["d"])
        #expect(tensor.values == [1.0, -2.0, 0.1, 0x0.0000000000001p-1022])
    }

    @Test("F16 values decode exactly, including subnormals, zeros and infinities")
    func f16BitPatternsDecodeExactly() throws {
        let cases: [(UInt16, Double)] = [
            (0x3C00, 1.0), (0xC000, -2.0), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14),
            (0x7BFF, 65_504), (0x3555, 0.333251953125), (0x3800, 0.5), (0xBC01, -(1 + 0x1p-10)),
            (0x0000, 0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        var builder = SafetensorsBuilder()
        builder.add("h", dtype: "F16", shape: [cases.count], data: cases.flatMap { le($0.0) })
        builder.add("specials", dtype: "F16", shape: [3], data: [UInt16(0x8000), 0x7E00, 0xFE01].flatMap(le))
        let file = try SafetensorsFile(bytes: builder.bytes())
        let tensor = try #require(file.tensors["h"])
        #expect(tensor.values == cases.map(\.1))
        let specials = try #require(file.tensors["specials"])
        #expect(specials.values[0] == 0 && specials.values[0].sign == .minus)
        #expect(specials.values[1].isNaN && specials.values[2].isNaN)
    }

    @Test("BF16 values decode exactly")
    func bf16BitPatternsDecodeExactly() throws {
        let cases: [(UInt16, Double)] = [
            (0x3F80, 1.0), (0xC000, -2.0), (0x4049, 3.140625), (0x0001, 0x1p-133), (0x7F7F, 0x1.fep127), (0xFF80, -.infinity),
        ]
        var builder = SafetensorsBuilder()
        builder.add("b", dtype: "BF16", shape: [2, 3], data: cases.flatMap { le($0.0) })
        let tensor = try #require(try SafetensorsFile(bytes: builder.bytes()).tensors["b"])
        #expect(tensor.values == cases.map(\.1))
    }

    @Test("tensors with unaligned offsets, scalars and empty shapes decode")
    func decodesUnalignedAndDegenerateShapes() throws {
        var builder = SafetensorsBuilder()
        builder.add("odd", dtype: "BF16", shape: [1], data: le(UInt16(0x3F80)))   // leaves data at offset 2
        builder.add("f64", dtype: "F64", shape: [], data: le(UInt64(0x4000_0000_0000_0000)))
        builder.add("none", dtype: "F32", shape: [0, 4], data: [])
        let file = try SafetensorsFile(bytes: builder.bytes())
        #expect(file.tensors["f64"]?.values == [2.0])
        #expect(file.tensors["f64"]?.shape == [])
        #expect(file.tensors["none"]?.values == [])
        #expect(file.tensors.count == 3)
    }

    @Test("a __metadata__ entry is not a tensor and is ignored")
    func metadataIsIgnored() throws {
        var builder = SafetensorsBuilder()
        builder.extraJSON = ["\"__metadata__\":{\"format\":\"pt\",\"note\":\"dtype shape\"}"]
        builder.addF32("w", shape: [1], values: [4])
        let file = try SafetensorsFile(bytes: builder.bytes())
        #expect(Set(file.tensors.keys) == ["w"])
        #expect(file.tensors["w"]?.values == [4])
    }

    @Test("trailing header padding (spaces) is accepted, as the format allows")
    func headerPaddingIsAccepted() throws {
        var builder = SafetensorsBuilder()
        builder.addF32("w", shape: [2], values: [1, 2])
        let (header, data) = builder.parts()
        let padded = header + [UInt8](repeating: 0x20, count: 8 - header.count % 8)
        let file = try SafetensorsFile(bytes: le(UInt64(padded.count)) + padded + data)
        #expect(file.tensors["w"]?.values == [1, 2])
    }

    @Test("a file on disk reads like the same bytes in memory; a missing file is unreadable")
    func fileOnDiskReadsLikeItsBytes() throws {
        var builder = SafetensorsBuilder()
        builder.addF32("fc.weight", shape: [1, 2], values: [0.5, -0.25])
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("eis-core-test-\(UInt64.random(in: 0...UInt64.max)).safetensors").path
        try Data(builder.bytes()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SafetensorsFile(contentsOf: path).tensors == SafetensorsFile(bytes: builder.bytes()).tensors)
        let missing = path + ".missing"
        do {
            _ = try SafetensorsFile(contentsOf: missing)
            Issue.record("read a missing file")
        } catch {
            guard case .unreadable(let reported, _) = error else { Issue.record("got \(error)"); return }
            #expect(reported == missing)
        }
    }

    // MARK: Malformed files

    @Test("a file shorter than its 8-byte header length is malformed", arguments: [0, 1, 7])
    func fileShorterThanItsHeaderLengthIsMalformed(count: Int) {
        expectMalformed([UInt8](repeating: 0, count: count))
    }

    @Test("a header length beyond the file or the 16 MiB limit is malformed")
    func headerLengthBeyondTheFileIsMalformed() {
        var builder = SafetensorsBuilder()
        builder.addF32("w", shape: [2], values: [1, 2])
        let (header, data) = builder.parts()
        expectMalformed(le(UInt64(header.count + data.count + 1)) + header + data)
        expectMalformed(le(UInt64(1000)) + header)
        expectMalformed(le(UInt64.max) + header + data)
        expectMalformed(le(UInt64(1) << 63) + header + data)
        expectMalformed(le(UInt64(SafetensorsFile.maxHeaderBytes + 1)) + header + data)
        // A header cut short is no longer JSON.
        expectMalformed(le(UInt64(header.count - 1)) + header.dropLast() + data)
    }

    @Test("a file truncated inside its data is malformed")
    func fileTruncatedInsideItsDataIsMalformed() {
        var builder = SafetensorsBuilder()
        builder.addF32("w", shape: [4], values: [1, 2, 3, 4])
        expectMalformed(Array(builder.bytes().dropLast()))
    }

    @Test("offsets beyond the data, reversed or negative are malformed")
    func offsetsOutsideTheDataAreMalformed() {
        for offsets in [(0, 12), (4, 12), (8, 4), (-4, 4), (Int.max - 3, Int.max)] {
            var builder = SafetensorsBuilder()
            builder.add("w", dtype: "F32", shape: [2], data: [Float(1), 2].flatMap { le($0.bitPattern) }, offsets: offsets)
            expectMalformed(builder.bytes())
        }
    }

    @Test("offsets and shape that disagree are malformed")
    func offsetsDisagreeingWithTheShapeAreMalformed() {
        var tooFew = SafetensorsBuilder()
        tooFew.add("w", dtype: "F32", shape: [2, 3], data: [UInt8](repeating: 0, count: 24), offsets: (0, 20))
        expectMalformed(tooFew.bytes())
        var tooMany = SafetensorsBuilder()
        tooMany.add("w", dtype: "F16", shape: [3], data: [UInt8](repeating: 0, count: 8))
        expectMalformed(tooMany.bytes())
    }

    @Test("negative or overflowing dimensions are malformed")
    func negativeOrOverflowingShapesAreMalformed() {
        var negative = SafetensorsBuilder()
        negative.add("w", dtype: "F32", shape: [-1, -4], data: [UInt8](repeating: 0, count: 16))
        expectMalformed(negative.bytes())
        var huge = SafetensorsBuilder()
        huge.add("w", dtype: "F32", shape: [1 << 62, 1 << 62], data: [], offsets: (0, 0))
        expectMalformed(huge.bytes())
        var hugeBytes = SafetensorsBuilder()
        hugeBytes.add("w", dtype: "F64", shape: [1 << 61], data: [], offsets: (0, 0))
        expectMalformed(hugeBytes.bytes())
    }

    @Test("an unsupported dtype is reported by name", arguments: ["I8", "I64", "U8", "BOOL", "F8_E4M3", "f32"])
    func unsupportedDTypeIsReportedByName(dtype: String) {
        var builder = SafetensorsBuilder()
        builder.add("idx", dtype: dtype, shape: [4], data: [1, 2, 3, 4])
        #expect(throws: SafetensorsError.unsupportedDType(name: "idx", dtype: dtype)) {
            try SafetensorsFile(bytes: builder.bytes())
        }
    }

    @Test("a header that is not JSON, or an entry missing a field, is malformed")
    func headerThatIsNotSafetensorsJSONIsMalformed() {
        for json in ["not json", "[1,2]", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
                     "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                     "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
                     "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}"] {
            let header = Array(json.utf8)
            expectMalformed(le(UInt64(header.count)) + header + [0, 0, 0x80, 0x3F])
        }
    }

    // MARK: LinearLayer.layers

    @Test("fc.weight [10, 256] with fc.bias [10] is one layer named fc")
    func findsALinearLayer() throws {
        var generator = SplitMix64(seed: 8)
        let weights = (0..<2560).map { _ in Float.random(in: -1..<1, using: &generator) }
        let bias = (0..<10).map { _ in Float.random(in: -1..<1, using: &generator) }
        var builder = SafetensorsBuilder()
        builder.extraJSON = ["\"__metadata__\":{\"format\":\"pt\"}"]
        builder.addF32("fc.weight", shape: [10, 256], values: weights)
        builder.addF32("fc.bias", shape: [10], values: bias)
        let layers = try LinearLayer.layers(in: SafetensorsFile(bytes: builder.bytes()))
        #expect(Set(layers.keys) == ["fc"])
        let fc = try #require(layers["fc"])
        #expect(fc.name == "fc")
        #expect(fc.inputs == 256 && fc.outputs == 10)
        #expect(fc.weight.rows == 10 && fc.weight.columns == 256)
        #expect(fc.weight.elements == weights.map(Double.init))
        #expect(fc.weight[3, 200] == Double(weights[3 * 256 + 200]))
        #expect(fc.bias == bias.map(Double.init))
    }

    @Test("several layers are found; a layer without a bias has none; other tensors are skipped")
    func findsSeveralLayers() throws {
        var builder = SafetensorsBuilder()
        builder.addF32("encoder.0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        builder.addF32("encoder.0.bias", shape: [2], values: [0.5, -0.5])
        builder.addF32("head.weight", shape: [1, 2], values: [7, 8])
        builder.addF32("running_mean", shape: [2], values: [0, 0])
        let layers = try LinearLayer.layers(in: SafetensorsFile(bytes: builder.bytes()))
        #expect(Set(layers.keys) == ["encoder.0", "head"])
        #expect(layers["encoder.0"]?.bias == [0.5, -0.5])
        #expect(layers["head"]?.bias == nil)
        #expect(layers["head"]?.weight == Matrix(rows: 1, columns: 2, elements: [7, 8]))
    }

    @Test("a weight that is not 2-D, or has an empty dimension, is malformed", arguments: [[10], [2, 3, 4], [0, 4], [4, 0]])
    func weightMustBeTwoDimensional(shape: [Int]) throws {
        var builder = SafetensorsBuilder()
        builder.addF32("fc.weight", shape: shape, values: [Float](repeating: 1, count: shape.reduce(1, *)))
        try expectMalformedLayers(builder.bytes())
    }

    @Test("a bias whose length is not the output width is malformed", arguments: [[9], [11], [10, 1], [1, 10]])
    func biasMustMatchTheOutputs(shape: [Int]) throws {
        var builder = SafetensorsBuilder()
        builder.addF32("fc.weight", shape: [10, 4], values: [Float](repeating: 1, count: 40))
        builder.addF32("fc.bias", shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
        try expectMalformedLayers(builder.bytes())
    }

    @Test("non-finite weights or biases are malformed", arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteValuesAreRefused(bad: Float) throws {
        var weight = SafetensorsBuilder()
        weight.addF32("fc.weight", shape: [2, 2], values: [1, bad, 3, 4])
        try expectMalformedLayers(weight.bytes())
        var bias = SafetensorsBuilder()
        bias.addF32("fc.weight", shape: [2, 2], values: [1, 2, 3, 4])
        bias.addF32("fc.bias", shape: [2], values: [bad, 0])
        try expectMalformedLayers(bias.bytes())
        // An F16 NaN pattern is refused too.
        var half = SafetensorsBuilder()
        half.add("fc.weight", dtype: "F16", shape: [1, 2], data: [UInt16(0x3C00), 0x7E00].flatMap(le))
        try expectMalformedLayers(half.bytes())
    }

    @Test("the layer initialiser refuses a bias of the wrong length")
    func layerInitialiserChecksBias() async {
        await #expect(processExitsWith: .failure) {
            _ = LinearLayer(name: "fc", weight: Matrix(rows: 2, columns: 2, repeating: 1.0), bias: [1, 2, 3])
        }
    }
}
