@testable import KafkaIO
import Testing

@testable import ReferralRouter

/// The offset tracker's checkpoints: where a restore starts reading the output tails (and checks the state's).
@Suite("Offset tracker checkpoints")
struct OffsetTrackerTests {
    static let input = KafkaPartition(topic: "referrals.requests", partition: 0)
    static let assignments = KafkaPartition(topic: "referrals.assignments", partition: 0)
    static let state = KafkaPartition(topic: "referral-router.state", partition: 0)

    /// Delivers every token, each output at the next offset of its partition.
    static func deliver(_ tracker: OffsetTracker, _ tokens: [UInt64], topics: [String], from ends: inout [String: Int64]) {
        let reports = zip(tokens, topics).map { token, topic in
            defer { ends[topic, default: 0] += 1 }
            return KafkaDeliveryReport(token: token, partition: 0, offset: ends[topic, default: 0], error: nil)
        }
        tracker.delivered(reports)
    }

    @Test func theLastReplayedRecordsOutputsMoveTheCheckpoint() {
        let tracker = OffsetTracker()
        // Two records replayed after an assignment (the input ended at 2), outputs scanned from offset 10.
        tracker.seed(Self.input, outputs: [Self.assignments: 10, Self.state: 10], freezeUntil: 2)
        var ends = ["referrals.assignments": Int64(10), "referral-router.state": 10]
        let topics = ["referrals.assignments", "referral-router.state"]
        let first = tracker.register(Self.input, offset: 0, outputTopics: topics)
        Self.deliver(tracker, first, topics: topics, from: &ends)
        #expect(tracker.takeCommittable().map(\.outputs) == [[Self.assignments: 10, Self.state: 10]], "still replaying")
        let second = tracker.register(Self.input, offset: 1, outputTopics: topics)
        Self.deliver(tracker, second, topics: topics, from: &ends)
        let checkpoint = tracker.takeCommittable()
        #expect(checkpoint.map(\.offset) == [2])
        #expect(checkpoint.map(\.outputs) == [[Self.assignments: 12, Self.state: 12]], "nothing is left to replay")
    }

    @Test func timerBatchesMoveTheCheckpointOfAnInputWithNothingNew() {
        let tracker = OffsetTracker()
        // Committed at 5, nothing to replay; only a timer batch (no offset) completes.
        tracker.seed(Self.input, outputs: [Self.state: 3], freezeUntil: 5, committed: 5)
        #expect(tracker.takeCommittable().isEmpty, "nothing moved")
        var ends = ["referral-router.state": Int64(3)]
        let tokens = tracker.register(Self.input, offset: nil, outputTopics: ["referral-router.state"])
        Self.deliver(tracker, tokens, topics: ["referral-router.state"], from: &ends)
        let checkpoint = tracker.takeCommittable()
        #expect(checkpoint.map(\.offset) == [5])
        #expect(checkpoint.map(\.outputs) == [[Self.state: 4]])
        #expect(tracker.takeCommittable().isEmpty, "handed out once")
    }

    @Test func anUnconfirmedTimerBatchHoldsTheCheckpointOfLaterRecords() {
        let tracker = OffsetTracker()
        tracker.seed(Self.input, outputs: [Self.state: 0], freezeUntil: 0, committed: 0)
        var ends = ["referral-router.state": Int64(0)]
        let held = tracker.register(Self.input, offset: nil, outputTopics: ["referral-router.state"])
        ends["referral-router.state"] = 1
        let later = tracker.register(Self.input, offset: 0, outputTopics: ["referral-router.state"])
        Self.deliver(tracker, later, topics: ["referral-router.state"], from: &ends)
        #expect(tracker.takeCommittable().isEmpty, "the later record is done, the batch before it is not")
        ends["referral-router.state"] = 0
        Self.deliver(tracker, held, topics: ["referral-router.state"], from: &ends)
        #expect(tracker.takeCommittable().map(\.outputs) == [[Self.state: 2]])
    }

    /// A status partition without updates: its checkpoint follows the outputs the requests produce, so a restore
    /// does not scan from where it was when its last update was committed.
    @Test func aQuietInputsCheckpointFollowsTheOthers() {
        let tracker = OffsetTracker()
        let status = KafkaPartition(topic: "referrals.status", partition: 0)
        tracker.seed(Self.input, outputs: [Self.state: 3], freezeUntil: 5, committed: 5)
        tracker.seed(status, outputs: [Self.state: 3], freezeUntil: 2, committed: 2)
        var ends = ["referral-router.state": Int64(3)]
        let tokens = tracker.register(Self.input, offset: 5, outputTopics: ["referral-router.state"])
        Self.deliver(tracker, tokens, topics: ["referral-router.state"], from: &ends)
        let checkpoints = Dictionary(uniqueKeysWithValues: tracker.takeCommittable().map { ($0.partition, $0) })
        #expect(checkpoints[Self.input]?.offset == 6)
        #expect(checkpoints[status]?.offset == 2)
        #expect(checkpoints[status]?.outputs == [Self.state: 4])
    }

    /// An input with a record in flight keeps its own checkpoint: that record's outputs may land anywhere later.
    @Test func anInputWithARecordInFlightDoesNotFollow() {
        let tracker = OffsetTracker()
        let status = KafkaPartition(topic: "referrals.status", partition: 0)
        tracker.seed(Self.input, outputs: [Self.state: 3], freezeUntil: 5, committed: 5)
        tracker.seed(status, outputs: [Self.state: 3], freezeUntil: 2, committed: 2)
        _ = tracker.register(status, offset: 2, outputTopics: ["referral-router.state"])
        var ends = ["referral-router.state": Int64(3)]
        let tokens = tracker.register(Self.input, offset: 5, outputTopics: ["referral-router.state"])
        Self.deliver(tracker, tokens, topics: ["referral-router.state"], from: &ends)
        let checkpoints = Dictionary(uniqueKeysWithValues: tracker.takeCommittable().map { ($0.partition, $0) })
        #expect(checkpoints[Self.input]?.outputs == [Self.state: 4])
        #expect(checkpoints[status] == nil, "nothing moved for it")
    }
}
