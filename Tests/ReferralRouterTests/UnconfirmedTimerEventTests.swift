import Deadlines
import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// A warning's state record landed but its event did not (the process was killed, or a revocation purged the
/// queue): the restored timer must fire it again rather than believe it published.
@Suite("Timer events whose state landed without them")
struct UnconfirmedTimerEventTests {
    static let start = RFC3339.parse("2026-11-16T09:30:00+02:00")!
    static let topics = RouterSettings.Topics()

    static func processor() throws -> RecordProcessor {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        return RecordProcessor(
            configuration: configuration, topics: Self.topics, source: "urn:test", maxRecordBytes: 65536,
            clock: { Self.start.addingTimeInterval(1) })
    }

    static func stateRecord(_ output: OutputRecord, offset: Int64) -> KafkaRecord {
        KafkaRecord(topic: Self.topics.state, partition: 0, offset: offset, key: output.key, value: output.value)
    }

    /// The state records a router left for one emergency referral: assigned (timers running), then its 50 %
    /// warning fired at 31 minutes. Offsets 0 and 1 of partition 0.
    static func stateRecords() throws -> (records: [KafkaRecord], warningId: String) {
        let processor = try Self.processor()
        let json = """
            {"type":"referral","id":"lost-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-lost-1","ageYears":9,"municipality":"398","postalCode":"15210"},\
            "need":{"concerns":["parenting"],"urgency":"emergency","severity":"severe"}}
            """
        let request = KafkaRecord(topic: Self.topics.requests, partition: 0, offset: 0, key: Array("lost-1".utf8), value: Array(json.utf8))
        let assigned = try #require(processor.process(request).materialize().first { $0.topic == Self.topics.state })
        let fired = processor.tick(now: Self.start.addingTimeInterval(31 * 60))
        let warning = try #require(fired.first { $0.topic == Self.topics.sla })
        let warned = try #require(fired.first { $0.topic == Self.topics.state })
        let records = [Self.stateRecord(assigned, offset: 0), Self.stateRecord(warned, offset: 1)]
        return (records, String(decoding: try #require(warning.id), as: UTF8.self))
    }

    static func restored(
        _ records: [KafkaRecord], published: Set<String>, tailStart: Int64, slaCompleteFrom: Date? = nil,
        statusReplayFrom: Int64 = 0
    ) throws -> (RecordProcessor, [OutputRecord]) {
        let processor = try Self.processor()
        processor.setPublished(published, partition: 0)
        let check = RecordProcessor.TailCheck(
            stateTailStart: tailStart, slaCompleteFrom: slaCompleteFrom?.epochMilliseconds, statusReplayFrom: statusReplayFrom)
        return (processor, processor.restore(partition: 0, records: records, check: check))
    }

    static func events(_ outputs: [OutputRecord]) -> [String] {
        outputs.filter { $0.topic == Self.topics.sla }.compactMap { $0.id.map { String(decoding: $0, as: UTF8.self) } }
    }

    static func warned(_ processor: RecordProcessor) -> Int {
        processor.timerCounts().values.reduce(0) { $0 + $1.warned }
    }

    @Test func aWarningMarkedFiredInTheTailButNotOnTheSLATopicFiresAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        #expect(warningId == "lost-1/acknowledged/warning/0.5")
        let (processor, corrections) = try Self.restored(records, published: [], tailStart: 1)
        // The state topic is told first: should the process die before the warning lands, it fires again.
        #expect(corrections.count == 1)
        let correction = String(decoding: try #require(corrections.first).value, as: UTF8.self)
        #expect(corrections.first?.topic == Self.topics.state && correction.contains("\"warningsFired\":0"), "\(correction)")
        #expect(Self.warned(processor) == 0)
        let outputs = processor.tick(now: Self.start.addingTimeInterval(33 * 60))
        #expect(Self.events(outputs) == [warningId], "the lost warning fires again, with its id")
        let text = String(decoding: try #require(outputs.first { $0.topic == Self.topics.sla }).value, as: UTF8.self)
        #expect(text.contains("\"lateBy\":180"), "and says it is three minutes late: \(text)")
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(40 * 60))).isEmpty, "once")
        #expect(Self.warned(processor) == 1)
        #expect(processor.recount().timers == processor.timerCounts(), "the running totals follow the rewind")
    }

    @Test func aWarningFoundOnTheSLATopicsTailIsNotFiredAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        let (processor, corrections) = try Self.restored(records, published: [warningId], tailStart: 1)
        #expect(corrections.isEmpty)
        #expect(Self.warned(processor) == 1, "the timer still has it fired")
    }

    /// The warning's record is before the checkpoint; a later record of the referral (a replay's, say) is after.
    @Test func aWarningFiredBeforeTheTailWasConfirmedAndIsNotFiredAgain() throws {
        let (records, _) = try Self.stateRecords()
        let later = KafkaRecord(topic: Self.topics.state, partition: 0, offset: 2, key: records[1].key, value: records[1].value)
        let (processor, corrections) = try Self.restored(records + [later], published: [], tailStart: 2)
        #expect(corrections.isEmpty)
        #expect(Self.warned(processor) == 1)
    }

    /// Retention deleted the start of the SLA tail: a warning due before its first record left cannot be told
    /// from one deleted, and is not fired again; one due since can.
    @Test func aTruncatedSLATailChecksOnlyWhatFellDueSinceItsFirstRecord() throws {
        let (records, warningId) = try Self.stateRecords()
        let (late, notChecked) = try Self.restored(
            records, published: [], tailStart: 1, slaCompleteFrom: Self.start.addingTimeInterval(40 * 60))
        #expect(notChecked.isEmpty)
        #expect(Self.warned(late) == 1)
        let (early, checked) = try Self.restored(
            records, published: [], tailStart: 1, slaCompleteFrom: Self.start.addingTimeInterval(20 * 60))
        #expect(checked.count == 1)
        #expect(Self.events(early.tick(now: Self.start.addingTimeInterval(41 * 60))) == [warningId])
    }

    @Test func aBreachMarkedFiredButNotPublishedFiresAgainAfterItsConfirmedWarnings() throws {
        let processor = try Self.processor()
        let (records, _) = try Self.stateRecords()
        processor.restore(partition: 0, records: records)
        // 75 % warning and breach at 61 minutes: their state record lands, their events do not.
        let fired = processor.tick(now: Self.start.addingTimeInterval(61 * 60))
        #expect(Self.events(fired) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        let state = try #require(fired.first { $0.topic == Self.topics.state })
        let all = records + [Self.stateRecord(state, offset: 2)]
        // The 50 % warning is on the SLA tail; the checkpoint is after the first record.
        let (restored, corrections) = try Self.restored(all, published: ["lost-1/acknowledged/warning/0.5"], tailStart: 1)
        #expect(corrections.count == 1)
        #expect(restored.timerCounts().values.reduce(0) { $0 + $1.breached } == 0)
        #expect(Self.events(restored.tick(now: Self.start.addingTimeInterval(62 * 60))) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        #expect(restored.timerCounts().values.reduce(0) { $0 + $1.breached } == 1)
    }
}

/// A status update's state record landed but its `met` event did not: the update was not committed, and when it
/// is read again its events are derived again from the timers as they were before it.
@Suite("Status events whose state landed without them")
struct UnconfirmedStatusEventTests {
    typealias Base = UnconfirmedTimerEventTests

    static let statusJSON: String = {
        let at = RFC3339.format(UnconfirmedTimerEventTests.start.addingTimeInterval(35 * 60))
        return "{\"referralId\":\"lost-1\",\"status\":\"acknowledged\",\"at\":\"\(at)\",\"team\":\"ph-sosiaalipaivystys\"}"
    }()

    static let status = KafkaRecord(
        topic: UnconfirmedTimerEventTests.topics.status, partition: 0, offset: 0, key: Array("lost-1".utf8),
        value: Array(Self.statusJSON.utf8))

    /// The records of `Base.stateRecords()`, then the one the acknowledgement (status offset 0) wrote: offset 2.
    static func scenario() throws -> (records: [KafkaRecord], metId: String) {
        let processor = try Base.processor()
        let (records, _) = try Base.stateRecords()
        processor.restore(partition: 0, records: records)
        let outputs = processor.process(Self.status).materialize()
        let met = try #require(outputs.first { $0.topic == Base.topics.sla })
        let state = try #require(outputs.first { $0.topic == Base.topics.state })
        #expect(String(decoding: state.value, as: UTF8.self).contains("\"statusOffset\":0"))
        return (records + [Base.stateRecord(state, offset: 2)], String(decoding: try #require(met.id), as: UTF8.self))
    }

    static func open(_ processor: RecordProcessor) -> Int {
        processor.timerCounts().values.reduce(0) { $0 + $1.open }
    }

    @Test func aMetOfAnUncommittedUpdateIsDerivedAgainWhenTheUpdateIsReadAgain() throws {
        let (records, metId) = try Self.scenario()
        #expect(metId == "lost-1/acknowledged/met")
        let (processor, corrections) = try Base.restored(records, published: [], tailStart: 2)
        #expect(corrections.isEmpty)
        #expect(Self.open(processor) == 0, "nothing reopens: the milestone stays met")
        #expect(Base.events(processor.process(Self.status).materialize()) == [metId])
        #expect(Base.events(processor.process(Self.status).materialize()).isEmpty, "derived once")
        #expect(Base.events(processor.tick(now: Base.start.addingTimeInterval(61 * 60))).isEmpty, "met: no breach")
    }

    /// The update was read again once before (its state record written a second time, after it applied): the
    /// first record tells the timers before it.
    @Test func theFirstRecordOfAnUpdateTellsTheTimersBeforeIt() throws {
        let (records, metId) = try Self.scenario()
        let again = KafkaRecord(topic: Base.topics.state, partition: 0, offset: 3, key: records[2].key, value: records[2].value)
        let (processor, _) = try Base.restored(records + [again], published: [], tailStart: 2)
        #expect(Base.events(processor.process(Self.status).materialize()) == [metId])
    }

    @Test func aCommittedUpdateIsNotDerivedAgain() throws {
        let (records, _) = try Self.scenario()
        let (processor, _) = try Base.restored(records, published: [], tailStart: 2, statusReplayFrom: 1)
        #expect(Base.events(processor.process(Self.status).materialize()).isEmpty)
    }
}
