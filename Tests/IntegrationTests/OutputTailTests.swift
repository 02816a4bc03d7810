import Foundation
import KafkaIO
import Testing

@testable import ReferralRouter

/// A restore drops what the output tails show as published. A dead letter keeps its input's headers, so an input that
/// carries a `referral-router.output-id` of its own (a dead letter replayed by an operator, or a stray header) must not
/// be taken for the dead letter's id: the scan would record that id as published, and drop the real output when it
/// comes.
@Suite("Output tails", .serialized, .timeLimit(.minutes(2)))
struct OutputTailTests {
    @Test func theTailScanReadsADeadLettersOwnIdNotItsInputs() async throws {
        let harness = try Harness(partitions: 1)
        let requests = harness.settings.topics.requests
        try harness.produce(
            topic: requests, partition: 0, key: Array("r-9".utf8), value: Array("{not json".utf8),
            headers: [KafkaHeader(key: "referral-router.output-id", string: "r-9/assignment")])
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 30) { ((try? harness.readAll(harness.settings.topics.deadletter)) ?? []).count == 1 })
        #expect(await running.stop() == nil)

        let deadletters = KafkaPartition(topic: harness.settings.topics.deadletter, partition: 0)
        let tails = try StateRestorer(settings: harness.settings, logger: harness.logger).publishedOutputs(from: [deadletters: 0])
        #expect(tails.published[0] == ["\(requests)/0/0/deadletter"])
    }
}
