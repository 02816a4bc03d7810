import CoreMetrics
import Foundation
import KafkaIO
import NIOConcurrencyHelpers

/// End-to-end latency of assignments: from the input record's Kafka timestamp to the moment the assignment is
/// delivered — acknowledged by the broker in the default guarantee, committed with its transaction in
/// exactly-once mode (only then can a `read_committed` consumer see it).
///
/// Recorded in the `referral_router_assignment_latency_seconds` histogram and, when given, passed to an observer
/// in microseconds (the benchmark's HdrHistogram). Kafka timestamps have millisecond resolution, so a figure is
/// up to 1 ms high. Inputs without a creation timestamp are not measured.
final class AssignmentLatency: Sendable {
    private struct State {
        /// Delivery tokens of assignments in flight (default guarantee), with their input's timestamp in ms.
        var pending: [UInt64: Int64] = [:]
        /// Input timestamps of the assignments in the open transaction (exactly-once mode).
        var transaction: [Int64] = []
    }

    private let state = NIOLockedValueBox(State())
    private let timer: CoreMetrics.Timer
    private let observer: (@Sendable (_ microseconds: Int64) -> Void)?
    private let transactional: Bool

    init(factory: any MetricsFactory, transactional: Bool, observer: (@Sendable (Int64) -> Void)?) {
        self.timer = CoreMetrics.Timer(label: "referral_router_assignment_latency_seconds", factory: factory)
        self.transactional = transactional
        self.observer = observer
    }

    /// Assignments handed to the producer, with their tokens and their inputs' timestamps (ms; 0 for none, not
    /// measured), under one lock.
    func produced(_ assignments: [(token: UInt64, inputTimestamp: Int64)]) {
        guard !assignments.isEmpty else { return }
        self.state.withLockedValue { state in
            for (token, inputTimestamp) in assignments where inputTimestamp > 0 {
                if self.transactional {
                    state.transaction.append(inputTimestamp)
                } else {
                    state.pending[token] = inputTimestamp
                }
            }
        }
    }

    /// A batch of delivery reports (default guarantee), under one lock and with one reading of the clock; failed
    /// deliveries are not measured (the record is replayed).
    func delivered(_ reports: [KafkaDeliveryReport]) {
        guard !self.transactional else { return }
        let timestamps = self.state.withLockedValue { state -> [Int64] in
            guard !state.pending.isEmpty else { return [] }
            var delivered: [Int64] = []
            for report in reports {
                if let timestamp = state.pending.removeValue(forKey: report.token), report.error == nil {
                    delivered.append(timestamp)
                }
            }
            return delivered
        }
        self.record(timestamps)
    }

    /// The open transaction committed: its assignments are visible now.
    func transactionCommitted() {
        let timestamps = self.state.withLockedValue { state in
            defer { state.transaction.removeAll(keepingCapacity: true) }
            return state.transaction
        }
        self.record(timestamps)
    }

    /// The open transaction aborted (its records are processed again) or partitions were given up.
    func forgetOpen() {
        self.state.withLockedValue { state in
            state.transaction.removeAll(keepingCapacity: true)
        }
    }

    private func record(_ timestamps: [Int64]) {
        guard !timestamps.isEmpty else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowMicroseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        let nowMilliseconds = nowMicroseconds / 1000
        for timestamp in timestamps {
            // The input's timestamp is whatever its producer set (CreateTime): one not in the past counts as no
            // wait, so that no value of it can overflow (`Int64.max * 1000` trapped the delivery thread).
            let microseconds = timestamp < nowMilliseconds ? nowMicroseconds - timestamp * 1000 : 0
            self.timer.recordNanoseconds(microseconds * 1000)
            self.observer?(microseconds)
        }
    }
}
