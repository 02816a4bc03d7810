import Foundation
import KafkaIO
import Testing

@testable import ReferralRouter

/// The process stopped after a referral's assignment landed and before its state record did; its request was not
/// committed, and the team acknowledged the assignment while the router was down. Restarted, the router reads the
/// acknowledgement before the request's replay (the request partition's broker is slow here; in production the two
/// topics are read in no fixed order). The acknowledgement waits for the replay: refused as `unknown_referral`, its
/// `met` was lost and the milestone would later have been reported breached.
@Suite("A status update read before its request's replay", .serialized, .timeLimit(.minutes(3)))
struct StatusBeforeReplayIntegrationTests {
    @Test(arguments: ["at_least_once", "exactly_once"])
    func anAnswerToAnAssignmentWhoseStateWasLostIsAppliedAfterTheReplay(guarantee: String) async throws {
        let harness = try Harness(partitions: 1, brokers: 2)
        harness.settings.processing.guarantee = guarantee
        let transactionalId = "test-\(UUID().uuidString)"
        harness.settings.processing.transactionalId = transactionalId
        // The transaction coordinator on the fast broker too.
        try #require(harness.cluster).setCoordinator(type: "transaction", key: transactionalId, broker: 1)
        let topics = harness.settings.topics
        let cluster = try #require(harness.cluster)
        let decidedAt = TimerIntegrationTests.start.addingTimeInterval(1)
        let request = TimerIntegrationTests.request("lost-s")
        // The assignment the first run published, made by a processor of its own.
        let first = RecordProcessor(
            configuration: harness.configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { decidedAt })
        let assignment = try #require(
            first.process(KafkaRecord(topic: topics.requests, partition: 0, offset: 0, key: request.key, value: request.value))
                .materialize().first { $0.topic == topics.assignments })
        try harness.produce(topic: topics.assignments, partition: 0, key: assignment.key, value: assignment.value, headers: assignment.allHeaders)
        // The mock picks each partition's leader at random: every partition on broker 1 but the requests'.
        for topic in [topics.status, topics.assignments, topics.consultations, topics.sla, topics.rejections, topics.deadletter, topics.state] {
            try cluster.setPartitionLeader(topic: topic, partition: 0, broker: 1)
        }
        try cluster.setPartitionLeader(topic: topics.requests, partition: 0, broker: 2)
        try cluster.setCoordinator(type: "group", key: harness.settings.kafka.groupId, broker: 1)
        try harness.produce([request, TimerIntegrationTests.status("lost-s", "acknowledged", minutes: 20)])
        // Every answer about the request partition comes 0.7 s late: the status update is read first.
        cluster.setRoundTripTime(2, milliseconds: 700)

        let clock = TestClock(TimerIntegrationTests.start.addingTimeInterval(25 * 60))
        let running = Harness.Running(application: try TimerIntegrationTests.application(harness, clock: clock))
        let met = try await Harness.waitUntil(seconds: 45) {
            try TimerIntegrationTests.events(harness)["lost-s"]?.contains("acknowledged:met") == true
        }
        let events = try TimerIntegrationTests.events(harness)
        #expect(met, "the acknowledgement met its milestone: \(events)")
        #expect(running.application.deadLettered.isEmpty, "\(running.application.deadLettered)")
        // Past the due time (10:30): a met milestone never breaches.
        clock.set(TimerIntegrationTests.start.addingTimeInterval(70 * 60))
        try await Task.sleep(for: .seconds(2))
        #expect(await running.stop() == nil)
        #expect(try TimerIntegrationTests.events(harness)["lost-s"] == ["acknowledged:started", "acknowledged:met"])
        #expect(try harness.readAll(topics.assignments).count { $0.keyString == "lost-s" } == 1, "the assignment is not published again")
        #expect(try harness.readAll(topics.deadletter).isEmpty)
    }
}
