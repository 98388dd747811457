import Foundation
import Synchronization

extension TestCertificates {
    /// The one set of test certificates of this test process, made on first use and removed when the process exits.
    ///
    /// Concurrent first callers wait for the same set instead of each running openssl. Its files are
    /// shared by every test: read them, never change them; write extra files elsewhere.
    public static func shared() async throws -> TestCertificates {
        try await SharedCertificates.instance.certificates()
    }
}

/// Makes the shared set once; later and concurrent callers get the same one (or the same error, once each).
private actor SharedCertificates {
    static let instance = SharedCertificates()

    private var made: TestCertificates?
    private var isMaking = false
    private var waiters: [CheckedContinuation<TestCertificates, any Error>] = []

    func certificates() async throws -> TestCertificates {
        if let made { return made }
        if isMaking {
            return try await withCheckedThrowingContinuation { waiters.append($0) }
        }
        isMaking = true
        let result: Result<TestCertificates, any Error>
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eis-certs-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            result = .success(try await TestCertificates.make(in: directory))
            SharedDirectory.removeAtExit(directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            result = .failure(error)
        }
        made = try? result.get()
        isMaking = false
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume(with: result) }
        return try result.get()
    }
}

/// Removes the shared directory when the test process exits normally (`atexit`).
private enum SharedDirectory {
    /// The directory to remove; set once, on success.
    static let path = Mutex<String?>(nil)

    static func removeAtExit(_ directory: String) {
        path.withLock { $0 = directory }
        atexit {
            if let directory = SharedDirectory.path.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
}
