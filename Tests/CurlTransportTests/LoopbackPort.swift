#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP port held by a raw socket: bound only (connecting is refused at once), or also
/// listening (the kernel completes the TCP handshake, but nothing ever accepts, reads or answers).
///
/// Holding the port (instead of picking a "free" number) keeps other tests from taking it. The
/// listening form lets a test fail a client after connecting without involving an HTTP server, whose
/// shutdown could race with accepting such a connection.
final class LoopbackPort {
    /// The bound port number.
    let port: Int
    private let descriptor: Int32

    /// Binds a socket to 127.0.0.1 on an ephemeral port, listening if asked; nil if the OS refuses.
    init?(listening: Bool) {
        #if canImport(Glibc)
        let streamType = Int32(SOCK_STREAM.rawValue)
        #else
        let streamType = SOCK_STREAM
        #endif
        let descriptor = socket(AF_INET, streamType, 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(descriptor, $0, &length)
            }
        }
        let listened = listening ? listen(descriptor, 16) : 0
        guard bound == 0, named == 0, listened == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
