import Dispatch
import NIOConcurrencyHelpers

/// A serial thread that encodes and produces what the poll loop decided, so that deciding the next record and
/// encoding the last one's outputs run on two cores.
///
/// Jobs run one at a time in submission order, so outputs reach the producer (and the offset tracker) in the
/// order their records were processed, and a referral's state records in the order they were made. The loop
/// drains the worker before anything that needs every decided record produced: flushing on revocation, committing
/// a transaction, restoring or dropping state, and stopping. At most `capacity` jobs wait; beyond that `submit`
/// blocks the loop (bounded memory). After a job fails, later jobs are skipped until the failure is taken: their
/// records were never registered, so their offsets are never committed and they are processed again.
final class OutputWorker: Sendable {
    private let queue = DispatchQueue(label: "referral-router.outputs")
    private let slots: DispatchSemaphore
    private let failureBox = NIOLockedValueBox<(any Error)?>(nil)
    /// Called about once a second while the caller waits for the worker (a full queue, a drain): the loop's
    /// heartbeat, so that waiting on a job blocked in a bounded librdkafka call (a transaction commit during a
    /// coordinator failover takes up to a minute) does not look like a stuck loop to the watchdog.
    private let whileWaiting: @Sendable () -> Void

    init(capacity: Int = 256, whileWaiting: @escaping @Sendable () -> Void = {}) {
        self.slots = DispatchSemaphore(value: capacity)
        self.whileWaiting = whileWaiting
    }

    func submit(_ job: @escaping @Sendable () throws -> Void) {
        while self.slots.wait(timeout: .now() + .seconds(1)) == .timedOut {
            self.whileWaiting()
        }
        self.queue.async {
            defer { self.slots.signal() }
            guard self.failureBox.withLockedValue({ $0 == nil }) else { return }
            do {
                try job()
            } catch {
                self.failureBox.withLockedValue { $0 = $0 ?? error }
            }
        }
    }

    /// Waits until every submitted job has run.
    func drain() {
        let done = DispatchSemaphore(value: 0)
        self.queue.async { done.signal() }
        while done.wait(timeout: .now() + .seconds(1)) == .timedOut {
            self.whileWaiting()
        }
    }

    var failure: (any Error)? {
        self.failureBox.withLockedValue { $0 }
    }

    /// Returns the failure and lets later jobs run again (after an aborted transaction was rewound).
    func takeFailure() -> (any Error)? {
        self.failureBox.withLockedValue { failure in
            defer { failure = nil }
            return failure
        }
    }
}
