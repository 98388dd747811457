import EISCore
import Testing

@Suite("Matrix")
struct MatrixTests {
    @Test("storage is row-major: (r, c) is element r·columns + c")
    func storageIsRowMajor() {
        var m = Matrix<Int64>(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        #expect(m[0, 2] == 3 && m[1, 0] == 4)
        #expect(Array(m.row(1)) == [4, 5, 6])
        m[1, 1] = 50
        #expect(m.elements == [1, 2, 3, 4, 50, 6])
        #expect(m.map { Double($0) / 2 } == Matrix(rows: 2, columns: 3, elements: [0.5, 1, 1.5, 2, 25, 3]))
        #expect(Matrix(rows: 2, columns: 2, repeating: 7) == Matrix<Int64>(rows: 2, columns: 2, elements: [7, 7, 7, 7]))
        #expect(Matrix<Int64>(rows: 2, columns: 2, repeating: 0) != Matrix<Int64>(rows: 1, columns: 4, repeating: 0))
    }

    @Test("an element count that disagrees with the shape is a precondition failure")
    func mismatchedStorageTraps() async {
        await #expect(processExitsWith: .failure) { _ = Matrix<Int64>(rows: 2, columns: 3, elements: [1, 2, 3]) }
        await #expect(processExitsWith: .failure) { _ = Matrix<Int64>(rows: -1, columns: 0, elements: []) }
    }
}
