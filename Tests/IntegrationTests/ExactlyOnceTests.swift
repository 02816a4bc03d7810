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
