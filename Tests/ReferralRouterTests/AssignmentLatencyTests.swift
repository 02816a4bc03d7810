import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import ReferralRouter

/// The input's Kafka timestamp is whatever its producer set: no value of it may trap the thread that records the
/// latency (`Int64.max` milliseconds overflowed the conversion to microseconds and killed the process).
@Suite("Assignment latency from the input's timestamp")
struct AssignmentLatencyTests {
    @Test func anyInputTimestampIsMeasuredWithoutOverflow() {
        let observed = NIOLockedValueBox<[Int64]>([])
        let latency = AssignmentLatency(factory: NOOPMetricsHandler.instance, transactional: true) { microseconds in
            observed.withLockedValue { $0.append(microseconds) }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        latency.produced([
            (token: 1, inputTimestamp: .max), (token: 2, inputTimestamp: now + 60_000), (token: 3, inputTimestamp: now - 5000),
            (token: 4, inputTimestamp: 1), (token: 5, inputTimestamp: 0), (token: 6, inputTimestamp: .min),
        ])
        latency.transactionCommitted()
        let values = observed.withLockedValue { $0 }
        #expect(values.count == 4, "no timestamp (0) and negative ones are not measured")
        #expect(values[0] == 0, "a timestamp far in the future counts as no wait")
        #expect(values[1] == 0)
        #expect(values[2] >= 5_000_000 && values[2] < 65_000_000, "5 s ago, in microseconds")
        #expect(values[3] > Int64(1_700_000_000) * 1_000_000, "the first millisecond of 1970: the whole epoch")
    }
}
