import Foundation

/// An nginx reverse proxy in front of one eis-server: the benchmark's anchor for what a real
/// proxy costs per request on this machine (the `nginx` scenario).
///
/// Runs from a temporary prefix directory holding its configuration, temp folders and error
/// log, as one process (`master_process off`, so the process eis-bench started is the one that
/// proxies and its CPU time is all of nginx's), with a keep-alive upstream as a production
/// proxy would have. Stopped by its PID, and the directory removed, by `stop()`.
final class NginxProxy {
    /// The port nginx listens on (127.0.0.1).
    let port: Int
    /// Its process id.
    var pid: Int32 { process.processIdentifier }
    private let process: Process
    private let prefix: URL

    private init(process: Process, prefix: URL, port: Int) {
        self.process = process
        self.prefix = prefix
        self.port = port
    }

    /// The nginx executable: on PATH, or in /usr/sbin where Debian installs it (not on a
    /// non-root user's PATH); nil when there is none, and the scenario is skipped.
    static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/nginx" } + ["/usr/sbin/nginx", "/sbin/nginx"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts nginx proxying every request to `127.0.0.1:upstreamPort` and waits until it accepts
    /// connections.
    ///
    /// - Throws: `BenchFailure` when nginx refuses its configuration, exits, or does not listen
    ///   within `timeout` (its error log is quoted).
    static func start(executable: String, upstreamPort: Int, timeout: Duration = .seconds(10)) async throws -> NginxProxy {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-nginx")
        try? FileManager.default.removeItem(at: prefix)
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        // nginx cannot bind port 0 and report it: take a free port, release it, and let nginx
        // bind it. Another process could take it in between; then nginx exits and we retry.
        var lastLog = ""
        for _ in 0..<3 {
            let port = try freePort()
            let configuration = configuration(prefix: prefix.path, port: port, upstreamPort: upstreamPort)
            let configURL = prefix.appendingPathComponent("nginx.conf")
            try configuration.write(to: configURL, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-p", prefix.path + "/", "-c", configURL.path, "-e", prefix.path + "/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let proxy = NginxProxy(process: process, prefix: prefix, port: port)
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline {
                if accepts(port: port) { return proxy }
                try await Task.sleep(for: .milliseconds(20))
            }
            lastLog = (try? String(contentsOf: prefix.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
            await proxy.stop(removingPrefix: false)
        }
        try? FileManager.default.removeItem(at: prefix)
        throw BenchFailure(message: "nginx did not start: \(lastLog.suffix(500))")
    }

    /// One worker process, no daemon, every path inside `prefix`, no access log; the upstream
    /// keeps idle connections open (`keepalive`, HTTP/1.1 and an empty `Connection` header are
    /// all three needed for that).
    static func configuration(prefix: String, port: Int, upstreamPort: Int) -> String {
        """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(prefix)/nginx.pid;
        error_log \(prefix)/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(prefix)/body;
            proxy_temp_path \(prefix)/proxy;
            fastcgi_temp_path \(prefix)/fastcgi;
            uwsgi_temp_path \(prefix)/uwsgi;
            scgi_temp_path \(prefix)/scgi;
            upstream eis {
                server 127.0.0.1:\(upstreamPort);
                keepalive 256;
            }
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://eis;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
            }
        }

        """
    }

    /// Stops nginx (SIGTERM, then SIGKILL after `grace`) and removes its prefix directory.
    func stop(grace: Duration = .seconds(5)) async {
        await stop(grace: grace, removingPrefix: true)
    }

    private func stop(grace: Duration = .seconds(5), removingPrefix: Bool) async {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while process.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if process.isRunning { kill(pid, SIGKILL) }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        if removingPrefix { try? FileManager.default.removeItem(at: prefix) }
    }

    /// A port that was free a moment ago on 127.0.0.1.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure(message: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchFailure(message: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
