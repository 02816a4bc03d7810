import Foundation
import InMemoryLogging
import KafkaIO
import Logging
import ReferralRouter
import SteeringModel
import Testing

/// The real pipeline against librdkafka's mock cluster, in process.
@Suite("Pipeline against the mock cluster", .serialized, .timeLimit(.minutes(5)))
struct PipelineIntegrationTests {
    @Test func mixedTrafficEndsInExactlyOneOutcomePerRecord() async throws {
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in logs })
        let harness = try Harness(partitions: 4)
        var traffic = SyntheticTraffic(seed: 42, prefix: "mix", invalidShare: 0.15, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<2000).map { _ in traffic.next(submittedAt: Date(timeIntervalSince1970: 1_794_814_200)) }
        var expected = Expectations()
        expected.add(records)
        #expect(expected.invalidValues.count > 100)
        #expect(expected.duplicates > 50)
        try harness.produce(records)

        let running = try harness.start(logger: logger)
        let done = await Harness.waitUntil(seconds: 90) { running.application.processedRecords >= 2000 }
        #expect(done, "processed \(running.application.processedRecords) of 2000")
        // Every invalid class is represented and reported by its code.
        let codes = running.application.deadLettered
        for code in ["malformed_json", "invalid_utf8", "missing_field", "bad_id", "unknown_concern", "personal_identity_code", "too_deeply_nested", "id_conflict"] {
            #expect(codes[code, default: 0] > 0, "dead letters with \(code)")
        }
        let error = await running.stop()
        #expect(error == nil)
        // id_conflict records are invalid; their ids are valid ids decided earlier, so they stay in validIds.
        try verifyOutputs(harness, expected)

        // Every assignment's end-to-end latency was measured once, after its delivery.
        let count = running.application.metricsText().split(separator: "\n").first { $0.hasPrefix("referral_router_assignment_latency_seconds_count") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
        #expect(running.application.routedRecords > 1000)
        #expect(count == running.application.routedRecords, "latency count \(String(describing: count))")

        // Personal data never reaches the logs.
        let text = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logs.entries.isEmpty)
        for forbidden in ["pseud-", "Synthetic demo record", "How should we support", "131052-308T"] {
            #expect(!text.contains(forbidden), "logs must not contain \(forbidden)")
        }
    }

    @Test func gracefulStopMidStreamAndRestartLosesAndRepeatsNothing() async throws {
        let harness = try Harness(partitions: 4)
        var traffic = SyntheticTraffic(seed: 7, prefix: "restart", invalidShare: 0.05, duplicateShare: 0.1, statusShare: 0)
        let first = (0..<1500).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(first)
        try harness.produce(first)

        let running = try harness.start()
        let midway = await Harness.waitUntil { running.application.processedRecords >= 300 }
        #expect(midway)
        #expect(await running.stop() == nil)
        let processedBefore = running.application.processedRecords
        print("stopped after \(processedBefore) of 1500 records")

        // More traffic while it is down, including repeats of ids decided before the stop.
        let second = (0..<500).map { _ in traffic.next() }
        expected.add(second)
        try harness.produce(second)

        let restarted = try harness.start()
        let done = await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) }
        #expect(done)
        // Let any late duplicate surface before checking.
        try await Task.sleep(for: .seconds(1))
        #expect(await restarted.stop() == nil)
        try verifyOutputs(harness, expected)
    }

    @Test func brokerOutageIsSurvivedAndReflectedInReadiness() async throws {
        let debug = ProcessInfo.processInfo.environment["ROUTER_TEST_LOGS"] != nil
        let harness = try Harness(partitions: 2, logger: debug ? Logger(label: "test", factory: { StreamLogHandler.standardError(label: $0) }) : Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var traffic = SyntheticTraffic(seed: 11, prefix: "outage", invalidShare: 0.05, duplicateShare: 0.05, statusShare: 0)
        let before = (0..<400).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(before)
        try harness.produce(before)

        let running = try harness.start()
        #expect(await Harness.waitUntil { running.application.isReady && running.application.processedRecords >= 400 })

        harness.cluster!.setAllBrokers(up: false)
        let wentUnready = await Harness.waitUntil(seconds: 20) { !running.application.isReady }
        #expect(wentUnready, "/readyz must report the outage")
        // Load keeps arriving while the brokers are down for at least 10 s.
        let during = (0..<200).map { _ in traffic.next() }
        expected.add(during)
        let producing = Task { try harness.produce(during) }
        try? await Task.sleep(for: .seconds(10))
        harness.cluster!.setAllBrokers(up: true)
        try await producing.value
        let cameBack = await Harness.waitUntil(seconds: 60) { running.application.isReady }
        #expect(cameBack, "/readyz must recover")

        let after = (0..<400).map { _ in traffic.next() }
        expected.add(after)
        try harness.produce(after)
        let done = await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) }
        #expect(done, "every output of \(expected.total) records")
        try await Task.sleep(for: .seconds(1))
        #expect(await running.stop() == nil)
        try verifyOutputs(harness, expected)
    }

    /// The once-a-second commit used to be synchronous: begun during an outage, it waited for the coordinator as
    /// long as the outage lasted, and the loop with it (its heartbeat, systemd's watchdog, /healthz). The outage
    /// begins while records are being decided and confirmed, so that a commit is due in it. It outlasts the
    /// session, so the partitions are lost while backpressure has paused them: they must be consumed again when
    /// the group gives them back (librdkafka keeps a partition's pause flag across reassignment).
    @Test func aBrokerOutageNeitherStallsThePollLoopNorLeavesPartitionsPaused() async throws {
        let harness = try Harness(partitions: 4)
        harness.settings.pipeline.maxInFlightRecords = 200
        var traffic = SyntheticTraffic(seed: 12, prefix: "stall", invalidShare: 0.05, duplicateShare: 0, statusShare: 0)
        // Few enough that the mock keeps every assignment (about 5 MiB per partition).
        let records = (0..<3000).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { running.application.processedRecords >= 500 })
        harness.cluster!.setAllBrokers(up: false)
        var oldest: TimeInterval = 0
        let outage = Date().addingTimeInterval(15)
        while Date() < outage {
            oldest = max(oldest, running.application.pollLoopHeartbeatAge ?? 0)
            try await Task.sleep(for: .milliseconds(100))
        }
        harness.cluster!.setAllBrokers(up: true)
        print("outage test: the poll loop's heartbeat was at most \(oldest) s old during a 15 s outage")
        #expect(oldest < 2, "the poll loop kept beating through the outage")
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) }, "every output of \(expected.total) records")
        #expect(await Harness.waitUntil(seconds: 30) { harness.inputsCommitted(groupId: "referral-router") }, "commits recover")
        #expect(await running.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    @Test func refusesToRunWhenTopicsAreNotCoPartitioned() async throws {
        let harness = try Harness(partitions: 4, statusPartitions: 3)
        let running = try harness.start()
        let error = await running.task.value
        let kafkaError = try #require(error as? KafkaIOError)
        #expect(kafkaError.code == .topology)
        #expect(kafkaError.message.contains("co-partitioned"))
        #expect(kafkaError.message.contains("referrals.requests has 4 partitions but referrals.status has 3"))
    }
}

@Suite("Abuse at the edges", .serialized, .timeLimit(.minutes(2)))
struct AbuseTests {
    /// A retry under another key (or none) could land on another partition, where the id is not known, and be
    /// assigned a second time: requests and status updates whose key is not the referral id are dead-lettered.
    @Test func aRecordNotKeyedByItsReferralIdIsDeadLettered() async throws {
        let harness = try Harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 4, prefix: "keyed", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let first = traffic.next()
        let id = try #require(first.id)
        let unkeyed = SyntheticTraffic.Record(kind: .invalid, isRequest: true, key: nil, value: first.value, id: id)
        let otherKey = SyntheticTraffic.Record(kind: .invalid, isRequest: true, key: Array("someone-else".utf8), value: first.value, id: id)
        let status = "{\"referralId\":\"\(id)\",\"status\":\"acknowledged\",\"at\":\"2026-11-16T09:40:00+02:00\"}"
        let misKeyedStatus = SyntheticTraffic.Record(kind: .invalid, isRequest: false, key: Array("x".utf8), value: Array(status.utf8), id: id)
        try harness.produce([first, unkeyed, otherKey, misKeyedStatus])
        let running = try harness.start()
        #expect(await Harness.waitUntil { running.application.deadLettered["key_mismatch"] == 3 })
        #expect(await running.stop() == nil)
        let assignments = try harness.readAll(harness.settings.topics.assignments)
        #expect(assignments.map(\.keyString) == [id], "one assignment, from the record keyed by its id")
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 3)
        #expect(deadLetters.allSatisfy { $0.header("referral-router.error.code") == "key_mismatch" })
        #expect(deadLetters.contains { $0.key == nil && $0.value == first.value }, "the dead letter keeps the original bytes")
    }

    /// Kafka tells a record without a value (a tombstone) from one with an empty value; the dead letter keeps which.
    @Test func aTombstoneIsDeadLetteredWithANullValue() async throws {
        let harness = try Harness(partitions: 1)
        try harness.produce(topic: harness.settings.topics.requests, partition: 0, key: Array("gone-1".utf8), value: nil)
        try harness.produce(topic: harness.settings.topics.requests, partition: 0, key: Array("empty-1".utf8), value: [])
        let running = try harness.start()
        #expect(await Harness.waitUntil { running.application.deadLettered.values.reduce(0, +) == 2 })
        #expect(await running.stop() == nil)
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 2)
        let tombstone = try #require(deadLetters.first { $0.keyString == "gone-1" })
        let empty = try #require(deadLetters.first { $0.keyString == "empty-1" })
        #expect(tombstone.isTombstone, "the tombstone's dead letter has a null value")
        #expect(!empty.isTombstone && empty.value.isEmpty, "the empty record's dead letter has an empty value")
        #expect(try harness.readAll(harness.settings.topics.rejections).count == 2)
    }

    @Test func aRecordAtTheSizeLimitIsDeadLetteredAndTheRouterGoesOn() async throws {
        let harness = try Harness(partitions: 1)
        // Upstream accepts larger records than the router's producer may send (message.max.bytes 200,000 here):
        // the dead letter of a 300,000-byte input cannot be published whole.
        harness.settings.kafka.properties["message.max.bytes"] = "200000"
        let huge = SyntheticTraffic.Record(
            kind: .invalid, isRequest: true, key: Array("huge-1".utf8), value: Array(repeating: UInt8(ascii: "x"), count: 300_000),
            id: "huge-1")
        var traffic = SyntheticTraffic(seed: 3, prefix: "after", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let after = (0..<20).map { _ in traffic.next() }
        try harness.produce([huge] + after)
        let running = try harness.start()
        let validIds = Set(after.compactMap(\.id))
        let done = await Harness.waitUntil(seconds: 60) {
            let assigned = Set(((try? harness.readAll(harness.settings.topics.assignments)) ?? []).compactMap(\.keyString))
            return validIds.isSubset(of: assigned)
        }
        #expect(done, "records after the oversized one are routed")
        #expect(await running.stop() == nil)
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 1)
        #expect(deadLetters.first?.header("referral-router.error.code") == "record_too_large")
        #expect(deadLetters.first?.header("referral-router.original-dropped") != nil)
        #expect(try harness.readAll(harness.settings.topics.rejections).count == 1)
    }
}
