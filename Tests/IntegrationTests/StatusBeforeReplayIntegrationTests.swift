import Foundation
import InMemoryLogging
import KafkaIO
import Logging
import Testing

@testable import ReferralRouter

/// The process stopped after a referral's assignment landed and before its state record did; its request was not
/// committed, and the team acknowledged the assignment while the router was down. Restarted, the router reads the
/// acknowledgement before the request's replay (the request partition's broker is slow here; in production the two
/// topics are read in no fixed order). The acknowledgement waits for the replay: refused as `unknown_referral`, its
/// `met` was lost and the milestone would later have been reported breached.
@Suite("A status update read before its request's replay", .serialized, .timeLimit(.minutes(3)))
struct StatusBeforeReplayIntegrationTests {
    /// A harness of two brokers holding what the crash left: the assignment of `lost-s` on its topic, its request and
    /// the team's acknowledgement (at 20 minutes) uncommitted. Every partition but the requests' is on broker 1,
    /// with the group's and the transaction's coordinators (the mock picks leaders at random); the requests' is on
    /// broker 2, to be made slow.
    static func crashed(guarantee: String = "at_least_once") throws -> Harness {
        let harness = try Harness(partitions: 1, brokers: 2)
        harness.settings.processing.guarantee = guarantee
        let transactionalId = "test-\(UUID().uuidString)"
        harness.settings.processing.transactionalId = transactionalId
        let topics = harness.settings.topics
        let cluster = try #require(harness.cluster)
        try cluster.setCoordinator(type: "transaction", key: transactionalId, broker: 1)
        try cluster.setCoordinator(type: "group", key: harness.settings.kafka.groupId, broker: 1)
        for topic in [topics.status, topics.assignments, topics.consultations, topics.sla, topics.rejections, topics.deadletter, topics.state] {
            try cluster.setPartitionLeader(topic: topic, partition: 0, broker: 1)
        }
        try cluster.setPartitionLeader(topic: topics.requests, partition: 0, broker: 2)
        // The assignment the first run published, made by a processor of its own.
        let decidedAt = TimerIntegrationTests.start.addingTimeInterval(1)
        let request = TimerIntegrationTests.request("lost-s")
        let first = RecordProcessor(
            configuration: harness.configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { decidedAt })
        let assignment = try #require(
            first.process(KafkaRecord(topic: topics.requests, partition: 0, offset: 0, key: request.key, value: request.value))
                .materialize().first { $0.topic == topics.assignments })
        try harness.produce(topic: topics.assignments, partition: 0, key: assignment.key, value: assignment.value, headers: assignment.allHeaders)
        try harness.produce([request, TimerIntegrationTests.status("lost-s", "acknowledged", minutes: 20)])
        return harness
    }

    /// Runs the router until the acknowledgement has met its milestone, then past the due time, and checks that it
    /// was met once, nothing was dead-lettered and the assignment was not published again.
    static func runUntilMet(_ harness: Harness) async throws {
        let clock = TestClock(TimerIntegrationTests.start.addingTimeInterval(25 * 60))
        let running = Harness.Running(application: try TimerIntegrationTests.application(harness, clock: clock))
        let met = try await Harness.waitUntil(seconds: 45) {
            try TimerIntegrationTests.events(harness)["lost-s"]?.contains("acknowledged:met") == true
        }
        let events = try TimerIntegrationTests.events(harness)
        #expect(met, "the acknowledgement met its milestone: \(events)")
        #expect(running.application.deadLettered.isEmpty, "\(running.application.deadLettered)")
        // Nothing holds the timers once the update is applied.
        #expect(await Harness.waitUntil(seconds: 5) {
            String(decoding: running.application.statusJSON(), as: UTF8.self).contains("\"timersHeldBy\":[]")
        })
        // Past the due time (10:30): a met milestone never breaches.
        clock.set(TimerIntegrationTests.start.addingTimeInterval(70 * 60))
        try await Task.sleep(for: .seconds(2))
        #expect(await running.stop() == nil)
        let topics = harness.settings.topics
        #expect(try TimerIntegrationTests.events(harness)["lost-s"] == ["acknowledged:started", "acknowledged:met"])
        #expect(try harness.readAll(topics.assignments).count { $0.keyString == "lost-s" } == 1, "the assignment is not published again")
        #expect(try harness.readAll(topics.deadletter).isEmpty)
    }

    @Test(arguments: ["at_least_once", "exactly_once"])
    func anAnswerToAnAssignmentWhoseStateWasLostIsAppliedAfterTheReplay(guarantee: String) async throws {
        let harness = try Self.crashed(guarantee: guarantee)
        // Every answer about the request partition comes 0.7 s late: the status update is read first.
        try #require(harness.cluster).setRoundTripTime(2, milliseconds: 700)
        try await Self.runUntilMet(harness)
    }

    /// Stopped while the status partition is parked, the router commits nothing past the update (and publishes
    /// nothing for it); the next run applies it.
    @Test func aStopWhileParkedCommitsNothingPastTheUpdate() async throws {
        let harness = try Self.crashed()
        let cluster = try #require(harness.cluster)
        // Slow enough that the request cannot come before the stop (which follows the park within a second), and
        // within the restore's 5 s bound on each watermark query.
        cluster.setRoundTripTime(2, milliseconds: 2500)
        let logs = InMemoryLogHandler()
        let clock = TestClock(TimerIntegrationTests.start.addingTimeInterval(25 * 60))
        let running = Harness.Running(
            application: try RouterApplication(
                settings: harness.settings, configuration: harness.configuration, logger: Logger(label: "test", factory: { _ in logs }),
                clock: { clock.now }))
        let parked = await Harness.waitUntil(seconds: 60) {
            logs.entries.contains { "\($0.message)".contains("waits for its referral's request") }
        }
        #expect(parked)
        // The operator sees why no timer fires (the partition only, no referral).
        let holding = await Harness.waitUntil(seconds: 5) {
            String(decoding: running.application.statusJSON(), as: UTF8.self).contains(
                "{\"topic\":\"\(harness.settings.topics.status)\",\"partition\":0,\"reason\":\"waiting_for_request\"}")
        }
        #expect(holding, "\(String(decoding: running.application.statusJSON(), as: UTF8.self))")
        #expect(!String(decoding: running.application.statusJSON(), as: UTF8.self).contains("lost-s"))
        #expect(await running.stop() == nil)
        // Given up with its partitions, the hold is no longer shown (a stop revokes after the loop's last round).
        #expect(String(decoding: running.application.statusJSON(), as: UTF8.self).contains("\"timersHeldBy\":[]"))
        #expect(try TimerIntegrationTests.events(harness)["lost-s"] == nil, "nothing published for it yet")
        let status = KafkaPartition(topic: harness.settings.topics.status, partition: 0)
        let properties = ["bootstrap.servers": harness.bootstrap, "group.id": harness.settings.kafka.groupId, "log_level": "0"]
        let reader = try KafkaConsumerClient(properties: properties, logger: harness.logger)
        let committed = try reader.committed([status])[status]
        reader.close()
        #expect((committed ?? 0) <= 0, "the update is not committed: \(String(describing: committed))")

        cluster.setRoundTripTime(2, milliseconds: 0)
        try await Self.runUntilMet(harness)
    }
}
