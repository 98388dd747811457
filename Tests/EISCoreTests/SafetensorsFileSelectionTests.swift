import EISCore
import Testing

@Suite("Reading selected tensors of a safetensors file")
struct SafetensorsFileSelectionTests {
    @Test("tensors left out by the selection are neither decoded nor checked, so an I64 buffer beside the weights is no obstacle")
    func unselectedTensorsAreSkipped() throws {
        var builder = SafetensorsBuilder()
        builder.add("embeddings.position_ids", dtype: "I64", shape: [2], data: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        builder.addF32("fc.weight", shape: [1, 2], values: [0.5, -2])
        let bytes = builder.bytes()
        #expect(throws: SafetensorsError.unsupportedDType(name: "embeddings.position_ids", dtype: "I64")) {
            try SafetensorsFile(bytes: bytes)
        }
        let file = try SafetensorsFile(bytes: bytes) { $0.hasSuffix(".weight") }
        #expect(file.tensors.keys.sorted() == ["fc.weight"])
        #expect(file.tensors["fc.weight"]?.values == [0.5, -2])
    }

    @Test("a selected tensor is still checked")
    func selectedTensorsAreChecked() {
        var builder = SafetensorsBuilder()
        builder.add("fc.weight", dtype: "F32", shape: [1, 2], data: [0, 0, 0, 0], offsets: (0, 4))
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: builder.bytes()) { _ in true } }
    }
}
