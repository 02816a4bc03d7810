import Foundation
import KafkaIO
import ReferralRouter
import SteeringModel
import Testing

/// The transactional mode against the mock cluster. The mock accepts the transactional API but not its semantics
/// (read_committed consumers see aborted records, offsets sent with a transaction are not committed, no fencing),
/// so these tests exercise the flow — commit, abort and rewind, fatal stop — and still demand exactly one of every
/// output, which here rests on the router's own output ids. Real semantics are checked when KAFKA_BOOTSTRAP names
/// a real cluster (`ExactlyOnceRealClusterTests`).
@Suite("Exactly-once mode", .serialized, .timeLimit(.minutes(5)))
struct ExactlyOnceTests {
    static func harness(partitions: Int = 4) throws -> Harness {
        let harness = try Harness(partitions: partitions)
        harness.settings.processing.guarantee = "exactly_once"
        harness.settings.processing.transactionalId = "test-\(UUID().uuidString)"
        return harness
    }

    @Test func routesMixedTrafficInTransactions() async throws {
        let harness = try Self.harness()
        var traffic = SyntheticTraffic(seed: 314, prefix: "eos", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<1000).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        #expect(await running.stop() == nil)
        // A restart replays from the mock's uncommitted offsets; nothing may be published twice.
        let restarted = try harness.start()
        #expect(await Harness.waitUntil(seconds: 30) { restarted.application.isReady })
        try await Task.sleep(for: .seconds(2))
        #expect(await restarted.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    /// A transaction commits every 100 ms, but the checkpoints it carries are written at most once a second: each
    /// is a state record per input partition that compaction must clean and a restore must read.
    @Test func checkpointsAreWrittenAtMostOnceASecond() async throws {
        let harness = try Self.harness(partitions: 1)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 30) { running.application.isReady })
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": harness.bootstrap, "linger.ms": "0", "log_level": "3"], logger: harness.logger,
            onDelivery: { _ in })
        producer.startPolling()
        var traffic = SyntheticTraffic(seed: 1618, prefix: "pace", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        var expected = Expectations()
        let started = Date()
        // Records arrive about 20 times a second for six seconds: nearly every transaction carries some.
        for _ in 0..<120 {
            let records = (0..<2).map { _ in traffic.next() }
            expected.add(records)
            for record in records {
                try producer.produce(
                    topic: harness.settings.topics.requests, partition: 0, key: record.key, value: record.value, headers: [], token: 1)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(producer.flush(timeoutMilliseconds: 30_000))
        producer.stopPolling()
        #expect(await Harness.waitUntil(seconds: 30) { harness.outputsComplete(expected) })
        let seconds = Date().timeIntervalSince(started)
        #expect(await running.stop() == nil)
        let key = "__checkpoint/\(harness.settings.topics.requests)/0"
        let checkpoints = try harness.readAll(harness.settings.topics.state).filter { $0.keyString == key }.count
        print("checkpoint pace: \(checkpoints) checkpoints in \(String(format: "%.1f", seconds)) s")
        // One a second, the one a stop writes, and a second's rounding at either end; ten a second before.
        #expect(checkpoints >= 2)
        #expect(Double(checkpoints) <= seconds + 3, "\(checkpoints) checkpoints in \(seconds) s")
    }

    @Test func anAbortableTransactionErrorAbortsRewindsAndRecovers() async throws {
        let harness = try Self.harness()
        var traffic = SyntheticTraffic(seed: 2718, prefix: "abort", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<800).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        // TOPIC_AUTHORIZATION_FAILED on AddPartitionsToTxn makes the transaction abortable.
        try #require(harness.cluster).pushRequestErrors(apiKey: 24, errors: [29])
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        let status = String(decoding: running.application.statusJSON(), as: UTF8.self)
        print("abort test: lastError in /status: \(status.contains("transaction aborted") ? "transaction aborted" : "none")")
        #expect(status.contains("transaction aborted"), "the abort is reported on /status")
        let error = await running.stop()
        #expect(error == nil, "\(String(describing: error))")
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    /// An output the broker refuses for good fails its delivery, which makes the transaction abortable: the instance
    /// aborts, rewinds and goes on, rather than stopping (as it did before 2026-12-07).
    @Test func anOutputTheBrokerRefusesAbortsTheTransactionAndTheInstanceGoesOn() async throws {
        let harness = try Self.harness()
        var traffic = SyntheticTraffic(seed: 1414, prefix: "refused", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<800).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        // TOPIC_AUTHORIZATION_FAILED on Produce: not retriable, so the batch's records fail their delivery.
        try harness.injectProduceErrors([29])
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        let status = String(decoding: running.application.statusJSON(), as: UTF8.self)
        #expect(status.contains("transaction aborted"), "the abort is reported on /status")
        let error = await running.stop()
        #expect(error == nil, "\(String(describing: error))")
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    /// A refusal that comes back after every rewind (as a record too large for its topic would) must not keep the
    /// instance aborting forever while it looks alive: after a few aborts in a row it stops, so the supervisor and
    /// the operator see it; a restart goes on once the refusals end.
    @Test func refusalsThatOutlastTheRewindsStopTheInstance() async throws {
        let harness = try Self.harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 1732, prefix: "refusing", invalidShare: 0.1, duplicateShare: 0, statusShare: 0)
        let records = (0..<300).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        // Every produce request refused, until cleared.
        try harness.injectProduceErrors(Array(repeating: 29, count: 10_000))
        let first = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { first.hasEnded }, "the instance stops after a few aborts in a row")
        let error = await first.stop()
        #expect(error != nil, "it stops on the refusal")
        harness.cluster!.clearRequestErrors(apiKey: 0)
        harness.settings.processing.transactionalId = "test-\(UUID().uuidString)"
        let second = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        #expect(await second.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    /// The warning of `TimerIntegrationTests.aWarningWhoseStateLandedWithoutItsEventFiresAfterARestart`, in
    /// exactly-once mode, with the restarted instance's first transaction aborted: the restore publishes the missing
    /// warning in that transaction, the abort fails it before it reaches the broker, and the rewind's restore must
    /// find it missing again and publish it in the next transaction: once, with its id and lateness.
    ///
    /// It checks the outcome, not the order of `abortAndRewind`: with the next transaction begun after the rewind
    /// instead of before, the restore's produce is refused, and the instance recovers through one more abort (the
    /// test still passed, in 30.6 s against 14.6 s).
    @Test func aWarningRecoveredByARestoreIsPublishedAgainAfterAnAbort() async throws {
        let harness = try Self.harness(partitions: 2)
        let clock = TestClock(TimerIntegrationTests.start.addingTimeInterval(1))
        try await TimerIntegrationTests.decideAndStop(harness, clock: clock, id: "lost-eos")

        // The state record "landed" saying the warning fired; its event never did.
        try TimerIntegrationTests.forgeFirstWarningFired(harness, id: "lost-eos")
        clock.set(TimerIntegrationTests.start.addingTimeInterval(35 * 60))

        // TOPIC_AUTHORIZATION_FAILED on the next AddPartitionsToTxn: the restarted instance's first transaction,
        // which holds the restore's warning, becomes abortable.
        try #require(harness.cluster).pushRequestErrors(apiKey: 24, errors: [29])
        let running = Harness.Running(application: try TimerIntegrationTests.application(harness, clock: clock))
        #expect(await Harness.waitUntil(seconds: 60) {
            String(decoding: running.application.statusJSON(), as: UTF8.self).contains("transaction aborted")
        }, "the first transaction aborted")
        #expect(try await Harness.waitUntil(seconds: 60) { try TimerIntegrationTests.events(harness)["lost-eos"]?.count == 2 })
        try await Task.sleep(for: .seconds(1))
        let error = await running.stop()
        #expect(error == nil, "\(String(describing: error))")
        #expect(try TimerIntegrationTests.events(harness)["lost-eos"] == ["acknowledged:started", "acknowledged:warning:0.5"])
        let warning = try #require(try harness.readAll(harness.settings.topics.sla).last { $0.keyString == "lost-eos" })
        #expect(String(decoding: warning.value, as: UTF8.self).contains("\"lateBy\":300"))
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    @Test func aFencedProducerStopsAndARestartLosesNothing() async throws {
        let harness = try Self.harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 1618, prefix: "fenced", invalidShare: 0.05, duplicateShare: 0.05, statusShare: 0)
        let records = (0..<500).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        // PRODUCER_FENCED on EndTxn: another instance took over this transactional id.
        try #require(harness.cluster).pushRequestErrors(apiKey: 26, errors: [90])
        let first = try harness.start()
        _ = await Harness.waitUntil(seconds: 20) { harness.outputsComplete(expected) }
        let error = await first.stop()
        print("fenced test: first instance ended with \(error.map { "\($0)" } ?? "no error")")
        #expect(error != nil, "a fenced producer stops the instance")
        harness.settings.processing.transactionalId = "test-\(UUID().uuidString)"
        let second = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        #expect(await second.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}

/// Semantics the mock cluster lacks (read_committed, transactional offset commits). Runs only when
/// `KAFKA_BOOTSTRAP` names a real cluster; each run uses topics of its own.
@Suite(
    "Exactly-once on a real cluster", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"] != nil, "set KAFKA_BOOTSTRAP to a real cluster")
)
struct ExactlyOnceRealClusterTests {
    @Test func transactionsCommitOutputsAndOffsetsTogether() async throws {
        let bootstrap = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"]!
        let harness = try Harness(external: bootstrap)
        let run = UUID().uuidString.prefix(8).lowercased()
        harness.settings.topics = RouterSettings.Topics().prefixed("rr-\(run)")
        harness.settings.kafka.groupId = "rr-\(run)"
        harness.settings.kafka.autoCreateTopics = true
        harness.settings.kafka.topicPartitions = 3
        harness.settings.kafka.sessionTimeoutMs = 6000
        harness.settings.http.port = 0
        harness.settings.processing.guarantee = "exactly_once"
        harness.settings.processing.transactionalId = "rr-\(run)-1"

        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { running.application.isReady })
        var traffic = SyntheticTraffic(seed: 42, prefix: "real", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<500).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        #expect(await Harness.waitUntil(seconds: 120) { harness.outputsComplete(expected) })
        #expect(await Harness.waitUntil(seconds: 30) { harness.inputsCommitted(groupId: "rr-\(run)") }, "offsets commit with the transactions")
        #expect(await running.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}
