import CCurl
import Foundation
import Logging
import Synchronization

/// The curl side of the I/O thread: owns the one `CURLM` multi handle, the transfers attached to it
/// and a small free list of easy handles, kept configured for their last transfer's settings. Confined to the I/O thread (not Sendable): it is created
/// there by `CurlIOThread` and never leaves it.
final class MultiDriver {
    /// Upper bound on one curl_multi_poll wait. Wakeups normally end the wait early; the bound only
    /// guarantees the inbox is looked at even if a wakeup were lost.
    private static let pollMilliseconds = 250
    /// How long past its deadline a transfer may stay before `expireOverdueTransfers` ends it. Normally
    /// curl's own CURLOPT_TIMEOUT_MS fires first (with its detailed message); the grace keeps it that way.
    private static let deadlineGrace = Duration.milliseconds(10)
    /// Easy handles kept for reuse (with their options, see `HandleSettings`); more than this are
    /// freed when their transfer ends.
    private static let freeListLimit = 32

    private let multi: UnsafeMutableRawPointer
    private let inbox: CurlIOThread
    private let configuration: CurlHTTPClient.Configuration
    private var transfersByID: [UInt64: Transfer] = [:]
    private var transfersByHandle: [UnsafeMutableRawPointer: Transfer] = [:]
    private var freeHandles: [EasyHandle] = []
    /// No attached transfer is overdue before this instant, so `expireOverdueTransfers` can skip its
    /// scan until then. Only ever too early (when the transfer that set it finished), never too late.
    private var nextExpiryCheck: ContinuousClock.Instant?

    /// Takes ownership of `multi` and applies the connection-cache limits.
    init(multi: UnsafeMutableRawPointer, inbox: CurlIOThread) {
        self.multi = multi
        self.inbox = inbox
        self.configuration = inbox.configuration
        let perHost = max(configuration.maxConnectionsPerHost, 1)
        // Requests beyond the per-host limit wait inside curl for a free connection.
        setMultiOption(CURLMOPT_MAX_HOST_CONNECTIONS, perHost)
        // The connection cache keeps idle keep-alive connections for reuse; room for a few busy hosts.
        setMultiOption(CURLMOPT_MAXCONNECTS, perHost * 4)
    }

    /// Loops until the inbox reports the client stopped.
    func run() {
        while let work = inbox.takeWork() {
            for id in work.cancellations {
                detach(id)
            }
            for submission in work.submissions {
                start(submission)
            }
            var running: Int32 = 0
            let performCode = curl_multi_perform(multi, &running)
            if performCode != CURLM_OK {
                CurlIOThread.logger.error("curl_multi_perform failed", metadata: ["code": "\(performCode.rawValue)"])
            }
            collectCompletions()
            let wait = expireOverdueTransfers()
            let pollCode = curl_multi_poll(multi, nil, 0, wait, nil)
            if pollCode != CURLM_OK {
                CurlIOThread.logger.error("curl_multi_poll failed", metadata: ["code": "\(pollCode.rawValue)"])
                // Avoid a hot loop if polling keeps failing; this is our own thread, not a Swift one.
                usleep(10_000)
            }
        }
    }

    /// Enforces deadlines that curl's timeout cannot: curl does not run CURLOPT_TIMEOUT_MS for a transfer
    /// still queued for a free connection (CURLMOPT_MAX_HOST_CONNECTIONS), so such a transfer could
    /// outlive its deadline. Returns how long the next poll may wait so the earliest deadline is met.
    private func expireOverdueTransfers() -> Int32 {
        let now = ContinuousClock.now
        if let next = nextExpiryCheck, next > now {
            return Int32(min(Self.pollMilliseconds, (next - now).wholeMillisecondsRoundedUp))
        }
        var earliest: ContinuousClock.Instant?
        var overdue: [Transfer] = []
        for transfer in transfersByID.values {
            let cutoff = transfer.deadline + Self.deadlineGrace
            if cutoff <= now {
                overdue.append(transfer)
            } else {
                earliest = min(earliest ?? cutoff, cutoff)
            }
        }
        nextExpiryCheck = earliest
        for transfer in overdue {
            detach(transfer.id)
            let error = TransportError.deadlineExceeded.with(
                curlCode: nil,
                message: "deadline passed before curl finished the transfer"
            )
            inbox.complete(transfer.id, with: .failure(error))
        }
        guard let earliest else { return Int32(Self.pollMilliseconds) }
        return Int32(min(Self.pollMilliseconds, (earliest - now).wholeMillisecondsRoundedUp))
    }

    /// Detaches everything and frees curl state; callers were already failed by `shutdown()`.
    func close() {
        for transfer in transfersByID.values {
            curl_multi_remove_handle(multi, transfer.easy.handle)
        }
        transfersByID.removeAll()
        transfersByHandle.removeAll()
        freeHandles.removeAll()
        curl_multi_cleanup(multi)
    }

    /// Configures an easy handle for the submission and attaches it, or fails the caller right away.
    private func start(_ submission: CurlIOThread.Submission) {
        let remaining = submission.deadline - ContinuousClock.now
        guard remaining > .zero else {
            inbox.complete(submission.id, with: .failure(.deadlineExceeded))
            return
        }
        let settings = HandleSettings(submission.request, userAgent: configuration.userAgent)
        guard let easy = takeHandle(for: settings) else {
            inbox.complete(submission.id, with: .failure(TransportError(curlCode: CURLE_OUT_OF_MEMORY)))
            return
        }
        let transfer = Transfer(
            id: submission.id,
            easy: easy,
            deadline: submission.deadline,
            // The request may only tighten the client's limit, never loosen it.
            maxResponseBytes: max(min(configuration.maxResponseBytes, submission.request.maxResponseBytes ?? .max), 0)
        )
        let timeout = remaining.wholeMillisecondsRoundedUp
        let connectTimeout = min(configuration.connectTimeout.wholeMillisecondsRoundedUp, timeout)
        do {
            try transfer.configure(
                submission.request,
                settings: settings,
                timeoutMilliseconds: timeout,
                connectTimeoutMilliseconds: connectTimeout
            )
        } catch {
            recycle(easy)
            inbox.complete(submission.id, with: .failure(error))
            return
        }
        let addCode = curl_multi_add_handle(multi, easy.handle)
        guard addCode == CURLM_OK else {
            recycle(easy)
            let message = String(cString: curl_multi_strerror(addCode))
            inbox.complete(submission.id, with: .failure(.curl(code: Int(addCode.rawValue), message: message)))
            return
        }
        transfersByID[submission.id] = transfer
        transfersByHandle[easy.handle] = transfer
        let cutoff = submission.deadline + Self.deadlineGrace
        nextExpiryCheck = min(nextExpiryCheck ?? cutoff, cutoff)
    }

    /// Reads every finished transfer and resumes its caller.
    private func collectCompletions() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            // Read the result before removing the handle: that invalidates the message.
            let code = eis_curl_msg_result(message)
            finish(handle, code: code)
        }
    }

    /// Turns a finished transfer into a response or error.
    private func finish(_ handle: UnsafeMutableRawPointer, code: CURLcode) {
        guard let transfer = transfersByHandle.removeValue(forKey: handle) else {
            curl_multi_remove_handle(multi, handle)
            return
        }
        transfersByID[transfer.id] = nil
        curl_multi_remove_handle(multi, handle)
        let easy = transfer.easy
        if let connects = easy.info(CURLINFO_NUM_CONNECTS) {
            inbox.connectionsOpened.add(connects, ordering: .relaxed)
        }
        let result: Result<HTTPClientResponse, TransportError>
        if code == CURLE_OK {
            let status = easy.info(CURLINFO_RESPONSE_CODE) ?? 0
            result = .success(HTTPClientResponse(status: status, received: transfer.headers, body: transfer.body))
        } else {
            result = .failure(error(for: code, transfer: transfer))
        }
        recycle(easy)
        inbox.complete(transfer.id, with: result)
    }

    /// Maps a failure, telling the configured connect timeout apart from the caller's deadline: both
    /// surface as CURLE_OPERATION_TIMEDOUT, but only the latter may happen at (or after) the deadline.
    private func error(for code: CURLcode, transfer: Transfer) -> TransportError {
        let message = transfer.easy.errorMessage(for: code)
        let error = TransportError(curlCode: code, message: message, responseLimitHit: transfer.responseLimitHit)
        if error == .deadlineExceeded, ContinuousClock.now < transfer.deadline - .milliseconds(10) {
            return TransportError.connectFailed.with(curlCode: Int(code.rawValue), message: message)
        }
        return error
    }

    /// Detaches a transfer from curl without resuming its caller (cancellation already did, or the caller does).
    private func detach(_ id: UInt64) {
        guard let transfer = transfersByID.removeValue(forKey: id) else { return }
        transfersByHandle[transfer.easy.handle] = nil
        curl_multi_remove_handle(multi, transfer.easy.handle)
        recycle(transfer.easy)
    }

    /// A free handle for a transfer with `settings`: one configured for them already if there is
    /// one (the newest), else the oldest free handle (`Transfer.configure` resets it; the newest
    /// are likeliest to match the next transfers), else a new one.
    private func takeHandle(for settings: HandleSettings) -> EasyHandle? {
        if let index = freeHandles.lastIndex(where: { $0.fingerprint == settings.fingerprint }) {
            return freeHandles.remove(at: index)
        }
        return freeHandles.isEmpty ? EasyHandle() : freeHandles.removeFirst()
    }

    /// Keeps a handle, still configured, for a later transfer, or frees it (by dropping it) when
    /// the free list is full.
    private func recycle(_ easy: EasyHandle) {
        guard freeHandles.count < Self.freeListLimit else { return }
        freeHandles.append(easy)
    }

    private func setMultiOption(_ option: CURLMoption, _ value: Int) {
        let code = eis_curl_multi_setopt_long(multi, option, value)
        if code != CURLM_OK {
            CurlIOThread.logger.error("curl_multi_setopt failed", metadata: ["code": "\(code.rawValue)"])
        }
    }
}
