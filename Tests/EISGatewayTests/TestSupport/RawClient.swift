import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client: it sends exactly the bytes it is given (forged headers included), as slowly as it is told, on its own thread (never on
/// the cooperative pool), and reports when the server closed the connection.
enum RawClient {
    /// What happened to one trickled connection.
    struct Outcome: Sendable {
        /// Seconds from connecting until the server closed the connection; nil if it stayed open.
        var closedAfter: Double?
        /// Everything the server sent.
        var received: String
    }

    /// Sends `request` at once and returns what came back before the server closed the
    /// connection (send `Connection: close`), within `limit` seconds.
    static func exchange(port: Int, request: String, limit: Double = 10) async -> String {
        await trickle(port: port, prefix: request, trickle: "", limit: limit).received
    }

    /// Connects to 127.0.0.1:`port`, sends `prefix` at once, then one byte of `trickle` every
    /// `interval`, and watches for the server closing the connection, for at most `limit`.
    static func trickle(port: Int, prefix: String, trickle: String, interval: Double = 1, limit: Double) async -> Outcome {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: run(port: port, prefix: prefix, trickle: Array(trickle.utf8), interval: interval, limit: limit))
            }
            thread.start()
        }
    }

    private static func run(port: Int, prefix: String, trickle: [UInt8], interval: Double, limit: Double) -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Outcome(closedAfter: 0, received: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Outcome(closedAfter: 0, received: "connect failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var received = [UInt8]()
        _ = Array(prefix.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var nextByte = 0
        var nextSend = start.addingTimeInterval(interval)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < limit {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                return Outcome(closedAfter: Date().timeIntervalSince(start), received: String(decoding: received, as: UTF8.self))
            }
            if count > 0 { received += buffer[0..<count] }
            if Date() >= nextSend, nextByte < trickle.count {
                var byte = trickle[nextByte]
                if send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) < 0 {
                    return Outcome(closedAfter: Date().timeIntervalSince(start), received: String(decoding: received, as: UTF8.self))
                }
                nextByte += 1
                nextSend = nextSend.addingTimeInterval(interval)
            }
        }
        return Outcome(closedAfter: nil, received: String(decoding: received, as: UTF8.self))
    }
}
