import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// Requests and status updates are separate topics, read in no fixed order. After a restart in which a referral's
/// assignment landed and its state did not, the team may already have answered the assignment; read before the
/// request's replay, that update waits for it instead of being refused as `unknown_referral`.
@Suite("Status updates read before their request's replay")
struct StatusBeforeReplayTests {
    static func youth(_ id: String, topics: RouterSettings.Topics) -> KafkaRecord {
        let json = """
            {"type":"referral","id":"\(id)","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-\(id)","ageYears":15,"municipality":"398","postalCode":"15110"},\
            "need":{"concerns":["mental_health"],"urgency":"new_concern","severity":"mild"}}
            """
        return KafkaRecord(topic: topics.requests, partition: 0, offset: 3, key: Array(id.utf8), value: Array(json.utf8))
    }

    static func acknowledged(_ id: String, offset: Int64, topics: RouterSettings.Topics) -> KafkaRecord {
        let json = "{\"referralId\":\"\(id)\",\"status\":\"acknowledged\",\"at\":\"2026-11-16T10:00:00+02:00\",\"team\":\"ph-youth-lahti-a\"}"
        return KafkaRecord(topic: topics.status, partition: 0, offset: offset, key: Array(id.utf8), value: Array(json.utf8))
    }

    @Test func anUpdateForAnAssignmentWithoutStateWaitsForItsRequest() throws {
        let (configuration, topics, processor) = try shippedProcessor()
        let elsewhere = RecordProcessor(configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
        var owners: [String: String] = [:]
        for id in ["lost-1", "lost-2", "lost-3", "lost-4"] {
            let assignment = try #require(elsewhere.process(Self.youth(id, topics: topics)).materialize().first { $0.topic == topics.assignments })
            let published = try #require(StateRestorer.owner(ofAssignment: assignment.value))
            owners[published.referralId] = published.teamId
        }
        processor.setPublished(Set(owners.keys.map { "\($0)/assignment" }), owners: owners, partition: 0)
        processor.awaitRequests(partition: 0)

        // Read first, the update waits and changes nothing; its request, replayed, lets it be read again.
        let waiting = processor.process(Self.acknowledged("lost-1", offset: 0, topics: topics))
        #expect(waiting.outcome == .awaitingRequest)
        #expect(waiting.outputs.isEmpty)
        #expect(processor.takeArrivedRequests().isEmpty)
        _ = processor.process(Self.youth("lost-1", topics: topics)).materialize()
        #expect(processor.takeArrivedRequests() == [0])
        let applied = processor.process(Self.acknowledged("lost-1", offset: 0, topics: topics))
        #expect(applied.outcome == .statusApplied)
        #expect(applied.outputs.contains { $0.topic == topics.state })

        // A referral never decided on the partition is refused as before, waiting or not.
        #expect(processor.process(Self.acknowledged("never-sent", offset: 1, topics: topics)).outcome == .deadLettered(code: "unknown_referral"))
        // A request read and refused (here its key names another referral) releases the update waiting for it, and
        // an update read after it does not wait: its request will not come again.
        var mismatched = Self.youth("lost-3", topics: topics)
        mismatched.key = Array("other".utf8)
        #expect(processor.process(Self.acknowledged("lost-3", offset: 1, topics: topics)).outcome == .awaitingRequest)
        #expect(processor.process(mismatched).outcome == .deadLettered(code: "key_mismatch"))
        #expect(processor.takeArrivedRequests() == [0])
        #expect(processor.process(Self.acknowledged("lost-3", offset: 1, topics: topics)).outcome == .deadLettered(code: "unknown_referral"))
        var refused = Self.youth("lost-4", topics: topics)
        refused.value = Array(String(decoding: refused.value, as: UTF8.self).replacingOccurrences(of: "pseud-lost-4", with: "131052-308T").utf8)
        #expect(processor.process(refused).outcome == .deadLettered(code: "personal_identity_code"))
        #expect(processor.process(Self.acknowledged("lost-4", offset: 1, topics: topics)).outcome == .deadLettered(code: "unknown_referral"))
        // Once the backlog is read through, an assignment without state and without a request is refused too.
        #expect(processor.process(Self.acknowledged("lost-2", offset: 1, topics: topics)).outcome == .awaitingRequest)
        processor.requestsReadThrough(partition: 0)
        #expect(processor.process(Self.acknowledged("lost-2", offset: 1, topics: topics)).outcome == .deadLettered(code: "unknown_referral"))
    }

    /// An operator who sees no warning fire can tell why: the page names the partitions that hold the timers.
    @Test func theStatusPageSaysWhichPartitionsHoldTheTimers() {
        var snapshot = RouterStatistics.Snapshot(startedAt: Date(), configurationVersion: "v")
        #expect(!StatusPage.render(snapshot, version: "test", ready: true).contains("Timers held"))
        snapshot.timersHeldBy = [
            TimerHoldingPartition(partition: KafkaPartition(topic: "referrals.status", partition: 3), reason: .waitingForRequest)
        ]
        #expect(StatusPage.render(snapshot, version: "test", ready: true).contains(
            "Timers held by referrals.status[3] (an update waits for its request's replay)"))
    }
}
