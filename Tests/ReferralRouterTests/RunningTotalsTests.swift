import Deadlines
import Foundation
import KafkaIO
import NIOConcurrencyHelpers
import SteeringModel
import Testing

@testable import ReferralRouter

/// The loads (for least-load resolution) and the timer counts (for `/status` and metrics) are kept as entries
/// change instead of being recounted over the whole state; they must always equal a full recount.
@Suite("Running totals of the record processor")
struct RunningTotalsTests {
    @Test func totalsEqualARecountThroughDecisionsStatusesTimersRestoresAndDrops() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        let start = Date(timeIntervalSince1970: 1_757_484_000)
        let clock = NIOLockedClock(start)
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { clock.now })
        var traffic = SyntheticTraffic(seed: 42, prefix: "totals", invalidShare: 0.05, duplicateShare: 0.05, statusShare: 0.3)
        var offsets: [Int32: Int64] = [:]
        var stateRecords: [Int32: [KafkaRecord]] = [:]
        func check(_ stage: String) {
            let recount = processor.recount()
            #expect(processor.loads.filter { $0.value != 0 } == recount.loads, "loads after \(stage)")
            #expect(processor.timerCounts() == recount.timers, "timer counts after \(stage)")
        }
        for round in 0..<6 {
            for _ in 0..<400 {
                let input = traffic.next(submittedAt: clock.now)
                let partition = Int32(abs((input.key ?? []).reduce(0) { $0 &* 31 &+ Int($1) }) % 4)
                let offset = offsets[partition, default: 0]
                offsets[partition] = offset + 1
                let record = KafkaRecord(
                    topic: input.isRequest ? topics.requests : topics.status, partition: partition, offset: offset,
                    key: input.key, value: input.value)
                for output in processor.process(record).materialize() where output.topic == topics.state {
                    stateRecords[partition, default: []].append(
                        KafkaRecord(topic: topics.state, partition: partition, offset: 0, key: output.key, value: output.value))
                }
            }
            check("round \(round) of traffic")
            // Days pass: warnings and breaches fire.
            clock.advance(by: Double(round + 1) * 2 * 86_400)
            for output in processor.tick(now: clock.now, limit: 100_000) where output.topic == topics.state {
                let partition = output.partition ?? 0
                stateRecords[partition, default: []].append(
                    KafkaRecord(topic: topics.state, partition: partition, offset: 0, key: output.key, value: output.value))
            }
            check("timers fired in round \(round)")
        }
        #expect(processor.timerCounts().values.contains { $0.warned > 0 || $0.breached > 0 })
        // A rebalance: one partition goes, another is restored from its state records (replacing what it held).
        let scheduled = processor.scheduledWakeUps
        processor.drop(partitions: [1])
        check("dropping partition 1")
        #expect(processor.scheduledWakeUps < scheduled, "a dropped partition's wake-ups go with it")
        processor.restore(partition: 1, records: stateRecords[1] ?? [])
        check("restoring partition 1")
        let restored = processor.scheduledWakeUps
        processor.restore(partition: 2, records: stateRecords[2] ?? [])
        check("restoring partition 2 over itself")
        // Rebalances (every partition revoked and assigned again) and a restore over itself add no copies.
        for _ in 0..<3 {
            processor.drop(partitions: [0, 1, 2, 3])
            for partition in Int32(0)..<4 { processor.restore(partition: partition, records: stateRecords[partition] ?? []) }
        }
        check("three rebalances")
        #expect(processor.scheduledWakeUps <= restored, "no wake-up is scheduled twice")
        processor.drop(partitions: [0, 1, 2, 3])
        #expect(processor.loads.filter { $0.value != 0 }.isEmpty)
        #expect(processor.timerCounts().isEmpty)
        #expect(processor.scheduledWakeUps == 0)
    }
}

/// A settable clock for the processor.
final class NIOLockedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date
    init(_ instant: Date) { self.instant = instant }
    var now: Date { self.lock.withLock { self.instant } }
    func advance(by seconds: TimeInterval) { self.lock.withLock { self.instant += seconds } }
}

/// The request hash is stored in the state topic and compared after every restore: a change of its formula would
/// turn every replayed request into an id conflict. It must stay FNV-1a over the validated fields as first
/// defined (the reference below is that definition, written plainly).
@Suite("Request hash")
struct RequestHashTests {
    /// - Parameter current: the hash stored since 2026-12-07, which takes the concerns in code order and adds
    ///   `source.unit` and `source.professionalRole` to the first definition (the legacy hash, still matched).
    static func reference(_ request: ReferralRequest, current: Bool = false) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String?) {
            for byte in (text ?? "\u{1}").utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            hash ^= 0xff
            hash &*= 0x100_0000_01b3
        }
        mix(request.type.rawValue)
        mix(request.id)
        mix(String(request.submittedAt.timeIntervalSince1970))
        mix(request.source.system)
        mix(request.client.ref)
        mix(request.client.ageYears.map(String.init))
        mix(request.client.municipality)
        mix(request.client.postalCode)
        mix(request.client.language)
        mix(request.client.schoolId)
        mix((current ? request.need.concerns.map(\.rawValue).sorted() : request.need.concerns.map(\.rawValue)).joined(separator: ","))
        mix(request.need.urgency.rawValue)
        mix(request.need.severity.rawValue)
        mix(request.consultation?.caseOwnerTeam)
        mix(request.consultation?.requestedUnitType?.rawValue)
        mix(request.consultation?.question)
        mix(request.notes)
        if current {
            mix(request.source.unit)
            mix(request.source.professionalRole)
        }
        return hash
    }

    @Test func theHashIsUnchangedForGeneratedRequests() {
        var traffic = SyntheticTraffic(seed: 7, prefix: "hash", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let validator = RequestValidator(maximumRecordBytes: 65536)
        var checked = 0
        for _ in 0..<2000 {
            guard case .success(let request) = validator.validateRequest(traffic.valid(submittedAt: Date()).value) else { continue }
            #expect(RecordProcessor.requestHash(request) == Self.reference(request))
            #expect(RecordProcessor.requestHashes(request).current == Self.reference(request, current: true))
            checked += 1
        }
        #expect(checked == 2000)
    }

    /// `request.v1.json`: a different request under a decided id is rejected with `id_conflict`. A request that
    /// changed only its source unit or role counted as a repeat before. The state record keeps the first hash beside
    /// the new one, so a version that knows only the first (a rolling deploy, a rollback) still recognises the
    /// request, and a decision stored by such a version keeps its old meaning here.
    @Test func aRequestThatChangedOnlyItsSourceIsAnIdConflictAndOldStateKeepsItsMeaning() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        func processor() -> RecordProcessor {
            RecordProcessor(configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
        }
        var traffic = SyntheticTraffic(seed: 21, prefix: "src", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let input = traffic.valid(submittedAt: Date())
        let text = String(decoding: input.value, as: UTF8.self)
        #expect(text.contains(#""unit":""#), "the generator names a unit")
        let moved = Array(text.replacingOccurrences(of: #""unit":""#, with: #""unit":"x-"#).utf8)
        func record(_ value: [UInt8], _ offset: Int64) -> KafkaRecord {
            KafkaRecord(topic: topics.requests, partition: 0, offset: offset, key: input.key, value: value)
        }
        func code(_ outputs: [OutputRecord]) -> String? {
            outputs.first { $0.topic == topics.deadletter }?.allHeaders.first { $0.key == "referral-router.error.code" }?.stringValue
        }

        let current = processor()
        let decided = current.process(record(input.value, 0)).materialize()
        #expect(decided.contains { $0.topic == topics.assignments })
        #expect(current.process(record(input.value, 1)).outcome == .duplicate)
        #expect(code(current.process(record(moved, 2)).materialize()) == "id_conflict")

        let validator = RequestValidator(maximumRecordBytes: 65536)
        guard case .success(let request) = validator.validateRequest(input.value) else {
            Issue.record("the generated request is valid")
            return
        }
        let hashes = RecordProcessor.requestHashes(request)
        #expect(hashes.current != hashes.legacy)
        let state = try #require(decided.first { $0.topic == topics.state })
        let stateText = String(decoding: state.value, as: UTF8.self)
        #expect(stateText.contains(#""requestHash":"\#(String(hashes.legacy, radix: 16))""#), "the first formula, for older versions")
        #expect(stateText.contains(#""contentHash":"\#(String(hashes.current, radix: 16))""#))

        // Restored from it, the decision is recognised as before.
        let restored = processor()
        _ = restored.restore(partition: 0, records: [KafkaRecord(topic: topics.state, partition: 0, offset: 0, key: state.key, value: state.value)])
        #expect(restored.process(record(input.value, 1)).outcome == .duplicate)
        #expect(code(restored.process(record(moved, 2)).materialize()) == "id_conflict")

        // The same decision as an earlier version stored it: no content hash, the first formula's meaning.
        let oldText = stateText.replacingOccurrences(of: #","contentHash":"\#(String(hashes.current, radix: 16))""#, with: "")
        #expect(!oldText.contains("contentHash"))
        let old = processor()
        _ = old.restore(partition: 0, records: [KafkaRecord(topic: topics.state, partition: 0, offset: 0, key: state.key, value: Array(oldText.utf8))])
        #expect(old.process(record(input.value, 1)).outcome == .duplicate, "an exact repeat of an old decision")
        #expect(old.process(record(moved, 2)).outcome == .duplicate, "as the version that decided it would")
    }

    /// `need.concerns` are distinct codes, a set: a retry that lists them in another order is the same request.
    @Test func aRetryListingTheConcernsInAnotherOrderIsARepeat() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
        let json = #"{"type":"referral","id":"order-1","submittedAt":"2026-11-23T09:14:05+02:00","source":{"system":"t"},"client":{"ref":"p-1","ageYears":5,"municipality":"398"},"need":{"concerns":["separation","parenting"],"urgency":"new_concern","severity":"moderate"}}"#
        let reordered = json.replacingOccurrences(of: #"["separation","parenting"]"#, with: #"["parenting","separation"]"#)
        let changed = json.replacingOccurrences(of: #"["separation","parenting"]"#, with: #"["parenting","substance_use"]"#)
        func record(_ text: String, _ offset: Int64) -> KafkaRecord {
            KafkaRecord(topic: topics.requests, partition: 0, offset: offset, key: Array("order-1".utf8), value: Array(text.utf8))
        }
        #expect(processor.process(record(json, 0)).materialize().contains { $0.topic == topics.assignments })
        #expect(processor.process(record(reordered, 1)).outcome == .duplicate)
        let conflict = processor.process(record(changed, 2)).materialize()
        #expect(conflict.first { $0.topic == topics.deadletter }?.allHeaders.first { $0.key == "referral-router.error.code" }?.stringValue == "id_conflict")
    }
}

/// Every output carries its own output id — the id a restore uses to drop what was already published — whatever
/// headers its input came with.
@Suite("Output ids")
struct OutputIdTests {
    @Test func aDeadLetterKeepsItsOwnOutputIdWhenItsInputCarriesACloudEventId() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
        let record = KafkaRecord(
            topic: topics.requests, partition: 0, offset: 5, key: Array("r-1".utf8), value: Array("{not json".utf8),
            headers: [KafkaHeader(key: "ce_id", string: "r-1/assignment")])
        let outputs = processor.process(record).materialize()
        let ids = outputs.map { output in output.allHeaders.first { $0.key == "referral-router.output-id" }?.stringValue }
        #expect(ids == ["\(topics.requests)/0/5/deadletter", "\(topics.requests)/0/5/rejection"])
        // And a routed request's outputs carry theirs, equal to their CloudEvents id.
        var traffic = SyntheticTraffic(seed: 3, prefix: "ids", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let input = traffic.valid(submittedAt: Date())
        let routed = processor.process(
            KafkaRecord(topic: topics.requests, partition: 0, offset: 6, key: input.key, value: input.value)
        ).materialize()
        for output in routed where output.topic != topics.state {
            let outputId = output.allHeaders.first { $0.key == "referral-router.output-id" }?.value
            #expect(outputId != nil)
            #expect(outputId == output.id)
            #expect(output.allHeaders.first { $0.key == "ce_id" }?.value == output.id)
        }
    }
}

/// The loop waits for the output worker when its queue is full or when it drains it; a job blocked in a bounded
/// librdkafka call (a transaction commit during a coordinator failover) must not stop the loop's heartbeat.
@Suite("Output worker")
struct OutputWorkerTests {
    @Test func theCallerBeatsWhileItWaitsForTheWorker() {
        let beats = NIOLockedValueBox(0)
        let worker = OutputWorker(capacity: 1, whileWaiting: { beats.withLockedValue { $0 += 1 } })
        worker.submit { Thread.sleep(forTimeInterval: 2.5) }
        worker.submit {}
        #expect(beats.withLockedValue { $0 } >= 2, "a full queue: beats while waiting for a slot")
        worker.submit { Thread.sleep(forTimeInterval: 2.5) }
        let before = beats.withLockedValue { $0 }
        worker.drain()
        #expect(beats.withLockedValue { $0 } - before >= 2, "a drain: beats while waiting")
    }
}
