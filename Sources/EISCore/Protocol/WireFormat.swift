/// Little-endian reading and writing helpers for the native share protocol.
enum WireFormat {
    static func append(_ value: some FixedWidthInteger, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func read<T: FixedWidthInteger>(_: T.Type, from raw: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Appends `elements` as little-endian `Int64`s.
    static func append(elements: [Int64], to bytes: inout [UInt8]) {
        #if _endian(little)
        elements.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for element in elements { append(element, to: &bytes) }
        #endif
    }

    /// Reads `count` little-endian `Int64`s starting at `offset`; the caller has checked the length.
    static func readElements(_ count: Int, from raw: UnsafeRawBufferPointer, at offset: Int) -> [Int64] {
        [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count * 8)]))
            #if !_endian(little)
            for i in 0..<count { buffer[i] = Int64(littleEndian: buffer[i]) }
            #endif
            initialized = count
        }
    }
}
