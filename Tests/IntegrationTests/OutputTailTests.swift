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

/// A restore on a slow broker keeps the poll loop's heartbeat (and systemd's watchdog) beating while it reads: the
/// loop is inside it, and a silent minute would get the process killed.
@Suite("Restore heartbeat", .serialized, .timeLimit(.minutes(2)))
struct RestoreHeartbeatTests {
    @Test func aSlowRestoreBeatsWhileItReads() async throws {
        let harness = try Harness(partitions: 12)
        let state = harness.settings.topics.state
        for index in 0..<48 {
            try harness.produce(topic: state, partition: Int32(index % 12), key: Array("r-\(index)".utf8), value: Array("{}".utf8))
        }
        // Every response a third of a second late: the restore's queries and reads take seconds.
        try #require(harness.cluster).setRoundTripTime(1, milliseconds: 300)
        let beats = BeatLog()
        let started = Date()
        let restored = try StateRestorer(settings: harness.settings, logger: harness.logger, progress: { beats.beat() })
            .restore(partitions: Array(0..<12))
        let ended = Date()
        let times = [started] + beats.times + [ended]
        let longest = zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 0
        print("restore heartbeat: \(beats.times.count) beats in \(String(format: "%.1f", ended.timeIntervalSince(started))) s, longest silence \(String(format: "%.1f", longest)) s")
        #expect(restored.values.reduce(0) { $0 + $1.count } == 48)
        #expect(beats.times.count >= 5)
        // The consumer's start and a round trip or two may pass without a beat, not the whole restore.
        #expect(longest < 3, "longest silence \(longest) s")
    }
}

final class BeatLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Date] = []
    func beat() { self.lock.withLock { self.list.append(Date()) } }
    var times: [Date] { self.lock.withLock { self.list } }
}
