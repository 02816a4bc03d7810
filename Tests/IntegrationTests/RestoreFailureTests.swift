import Foundation
import KafkaIO
import ReferralRouter
import Testing

/// A partition whose state cannot be read when it is assigned must not be processed: decided without its state, a
/// re-sent request would be assigned a second time and a status update dead-lettered as unknown. The instance
/// stops instead (the process restarts and restores again), and commits nothing of what it read meanwhile.
@Suite("A failed state restore", .serialized, .timeLimit(.minutes(5)))
struct RestoreFailureTests {
    @Test(arguments: ["at_least_once", "exactly_once"])
    func aPartitionWhoseStateCannotBeReadIsNotProcessed(guarantee: String) async throws {
        let harness = try harness(guarantee)
        var traffic = SyntheticTraffic(seed: 4242, prefix: "restore-\(guarantee)", invalidShare: 0.1, duplicateShare: 0, statusShare: 0)
        let first = (0..<200).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(first)
        try harness.produce(first)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) })
        #expect(await running.stop() == nil)
        let before = try harness.readAll(harness.settings.topics.assignments).count
        let deadBefore = try harness.readAll(harness.settings.topics.deadletter).count

        // More input, and a restore that cannot finish: the state is there, the time to read it is not.
        let second = (0..<200).map { _ in traffic.next() }
        expected.add(second)
        try harness.produce(second)
        harness.settings.processing.stateRestoreTimeoutSeconds = 0.000_001
        let failing = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) {
            String(decoding: failing.application.statusJSON(), as: UTF8.self).contains("state restore failed")
        }, "the failure is reported on /status")
        // Time for whatever the instance would still do with the records it fetched.
        try await Task.sleep(for: .seconds(3))
        let error = await failing.stop()
        #expect("\(error.map { "\($0)" } ?? "none")".contains("state restore failed"))
        #expect(try harness.readAll(harness.settings.topics.assignments).count == before, "nothing was decided")
        #expect(try harness.readAll(harness.settings.topics.deadletter).count == deadBefore, "nothing was dead-lettered")

        // Restarted with the time to read its state, the instance decides every record once.
        harness.settings.processing.stateRestoreTimeoutSeconds = 120
        harness.settings.processing.transactionalId = "test-\(UUID().uuidString)"
        let restarted = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) })
        #expect(await restarted.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}

/// A read of the restore that fails once (here the committed offsets: GROUP_AUTHORIZATION_FAILED on one
/// OffsetFetch) is tried again: the instance restores and goes on, instead of stopping the whole group's work for a
/// restart.
@Suite("A restore read that fails once", .serialized, .timeLimit(.minutes(5)))
struct RestoreRetryTests {
    @Test func aRestoreReadThatFailsOnceIsTriedAgain() async throws {
        let harness = try Harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 4343, prefix: "retry", invalidShare: 0.1, duplicateShare: 0, statusShare: 0)
        let first = (0..<200).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(first)
        try harness.produce(first)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) })
        #expect(await running.stop() == nil)

        let second = (0..<200).map { _ in traffic.next() }
        expected.add(second)
        try harness.produce(second)
        try #require(harness.cluster).pushRequestErrors(apiKey: 9, errors: [30])
        let restarted = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) }, "restored on the second try")
        let error = await restarted.stop()
        #expect(error == nil, "\(String(describing: error))")
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}

/// The group went on without this instance (its heartbeat told it is no longer a member): the partitions may
/// already be another's, so the instance purges what it has not sent of them and commits nothing; it rejoins, is
/// assigned the partitions again, restores and replays them: every record decided once.
@Suite("A lost assignment", .serialized, .timeLimit(.minutes(5)))
struct LostAssignmentTests {
    @Test(arguments: ["at_least_once", "exactly_once"])
    func unsentOutputsArePurgedAndTheReplayLosesNothing(guarantee: String) async throws {
        let harness = try harness(guarantee)
        var traffic = SyntheticTraffic(seed: 777, prefix: "lost-\(guarantee)", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<600).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(Array(records.prefix(300)))
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { running.application.isReady })
        // UNKNOWN_MEMBER_ID on the next heartbeats: librdkafka reports the assignment lost.
        try #require(harness.cluster).pushRequestErrors(apiKey: 12, errors: [25, 25, 25])
        try harness.produce(Array(records.suffix(300)))
        #expect(await Harness.waitUntil(seconds: 60) {
            String(decoding: running.application.statusJSON(), as: UTF8.self).contains("partitions lost")
        }, "the loss is reported on /status")
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        try await Task.sleep(for: .seconds(1))
        let error = await running.stop()
        #expect(error == nil, "\(String(describing: error))")
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}

/// A two-partition harness in `guarantee`, with a transactional id of its own.
private func harness(_ guarantee: String) throws -> Harness {
    let harness = try Harness(partitions: 2)
    harness.settings.processing.guarantee = guarantee
    harness.settings.processing.transactionalId = "test-\(UUID().uuidString)"
    return harness
}
