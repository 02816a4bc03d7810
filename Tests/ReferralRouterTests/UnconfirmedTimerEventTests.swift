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

    static func processor(minutes: Double = 0) throws -> RecordProcessor {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let now = Self.start.addingTimeInterval(1 + minutes * 60)
        return RecordProcessor(
            configuration: configuration, topics: Self.topics, source: "urn:test", maxRecordBytes: 65536,
            clock: { now })
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
        // Restarted at 33 minutes.
        let processor = try Self.processor(minutes: 33)
        processor.setPublished(published, partition: 0)
        let check = RecordProcessor.TailCheck(
            stateTailStart: tailStart, slaCompleteFrom: slaCompleteFrom?.epochMilliseconds, statusReplayFrom: statusReplayFrom)
        return (processor, processor.restore(partition: 0, records: records, check: check))
    }

    static func events(_ outputs: [OutputRecord]) -> [String] {
        outputs.filter { $0.topic == Self.topics.sla }.compactMap { $0.id.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Timers of every team with this count (open, warned, breached).
    static func total(_ processor: RecordProcessor, _ count: KeyPath<TimerCounts, Int>) -> Int {
        processor.timerCounts().values.reduce(0) { $0 + $1[keyPath: count] }
    }

    static func warned(_ processor: RecordProcessor) -> Int {
        Self.total(processor, \.warned)
    }

    @Test func aWarningMarkedFiredInTheTailButNotOnTheSLATopicIsPublishedAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        #expect(warningId == "lost-1/acknowledged/warning/0.5")
        let (processor, republished) = try Self.restored(records, published: [], tailStart: 1)
        #expect(Self.events(republished) == [warningId], "the lost warning, with its id")
        let text = String(decoding: try #require(republished.first).value, as: UTF8.self)
        #expect(text.contains("\"lateBy\":181"), "published three minutes (and the second of the clock) after it was due: \(text)")
        #expect(Self.warned(processor) == 1, "the timer still has it fired")
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(40 * 60))).isEmpty, "once")
    }

    @Test func aWarningFoundOnTheSLATopicsTailIsNotFiredAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        let (processor, republished) = try Self.restored(records, published: [warningId], tailStart: 1)
        #expect(republished.isEmpty)
        #expect(Self.warned(processor) == 1, "the timer still has it fired")
    }

    /// The warning's record is before the checkpoint; a later record of the referral (a replay's, say) is after.
    @Test func aWarningFiredBeforeTheTailWasConfirmedAndIsNotFiredAgain() throws {
        let (records, _) = try Self.stateRecords()
        let later = KafkaRecord(topic: Self.topics.state, partition: 0, offset: 2, key: records[1].key, value: records[1].value)
        let (processor, republished) = try Self.restored(records + [later], published: [], tailStart: 2)
        #expect(republished.isEmpty)
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
        _ = late
        let (_, checked) = try Self.restored(
            records, published: [], tailStart: 1, slaCompleteFrom: Self.start.addingTimeInterval(20 * 60))
        #expect(Self.events(checked) == [warningId])
    }

    /// The 75 % warning and the breach fire at 61 minutes; their state record lands, their events do not.
    static func breachRecords() throws -> [KafkaRecord] {
        let processor = try Self.processor()
        let (records, _) = try Self.stateRecords()
        processor.restore(partition: 0, records: records)
        let fired = processor.tick(now: Self.start.addingTimeInterval(61 * 60))
        #expect(Self.events(fired) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        return records + [Self.stateRecord(try #require(fired.first { $0.topic == Self.topics.state }), offset: 2)]
    }

    @Test func aBreachMarkedFiredButNotPublishedIsPublishedAgainAfterItsUnconfirmedWarning() throws {
        // The 50 % warning is on the SLA tail; the checkpoint is after the first record.
        let (processor, republished) = try Self.restored(
            try Self.breachRecords(), published: ["lost-1/acknowledged/warning/0.5"], tailStart: 1)
        #expect(Self.events(republished) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        #expect(Self.total(processor, \.breached) == 1)
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(62 * 60))).isEmpty)
    }

    /// The milestone was met (late) after the lost breach: the breach happened, and is published all the same.
    @Test func aLostBreachIsPublishedEvenIfTheMilestoneWasMetSince() throws {
        let processor = try Self.processor(minutes: 70)
        var records = try Self.breachRecords()
        processor.restore(partition: 0, records: records)
        let at = RFC3339.format(Self.start.addingTimeInterval(65 * 60))
        let json = "{\"referralId\":\"lost-1\",\"status\":\"acknowledged\",\"at\":\"\(at)\",\"team\":\"ph-sosiaalipaivystys\"}"
        let status = KafkaRecord(topic: Self.topics.status, partition: 0, offset: 0, key: Array("lost-1".utf8), value: Array(json.utf8))
        let outputs = processor.process(status).materialize()
        #expect(Self.events(outputs) == ["lost-1/acknowledged/met"])
        records.append(Self.stateRecord(try #require(outputs.first { $0.topic == Self.topics.state }), offset: 3))
        let (_, republished) = try Self.restored(
            records, published: ["lost-1/acknowledged/warning/0.5", "lost-1/acknowledged/met"], tailStart: 2)
        #expect(Self.events(republished) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
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
        Base.total(processor, \.open)
    }

    @Test func aMetOfAnUncommittedUpdateIsDerivedAgainWhenTheUpdateIsReadAgain() throws {
        let (records, metId) = try Self.scenario()
        #expect(metId == "lost-1/acknowledged/met")
        let (processor, republished) = try Base.restored(records, published: [], tailStart: 2)
        #expect(republished.isEmpty)
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

    /// An update whose state landed is not judged again by the time check (an earlier version applied it): its
    /// replay still re-derives the met event.
    @Test func anAppliedUpdateIsNotJudgedAgainByItsTime() throws {
        let (records, metId) = try Self.scenario()
        let (processor, _) = try Base.restored(records, published: [], tailStart: 2)
        // Produced an hour before the `at` it names: refused if it were new.
        let produced = Base.start.addingTimeInterval(35 * 60 - 3600)
        let status = KafkaRecord(
            topic: Self.status.topic, partition: 0, offset: 0, key: Self.status.key, value: Self.status.value,
            timestamp: Int64(produced.timeIntervalSince1970 * 1000))
        #expect(Base.events(processor.process(status).materialize()) == [metId])
    }

    @Test func aCommittedUpdateIsNotDerivedAgain() throws {
        let (records, _) = try Self.scenario()
        let (processor, _) = try Base.restored(records, published: [], tailStart: 2, statusReplayFrom: 1)
        #expect(Base.events(processor.process(Self.status).materialize()).isEmpty)
    }
}
