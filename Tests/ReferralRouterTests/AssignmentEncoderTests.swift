import Deadlines
import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// The assignment encoder's shortcuts against their definitions.
@Suite("Assignment encoder")
struct AssignmentEncoderTests {
    /// The id as defined: `dec-` and the first 24 hex digits of SHA-256 over one joined string.
    static func definedDecisionId(requestId: String, version: String) -> String {
        "dec-" + SHA256.hex(Array("decision\u{0}\(requestId)\u{0}\(version)".utf8)).prefix(24)
    }

    @Test func decisionIdsAreTheDefinedDigest() {
        var generator = SeededGenerator(seed: 11)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-_/.äöÅ€")
        // Lengths around the hash's 64-byte blocks and its 56-byte padding boundary.
        for length in [0, 1, 15, 16, 40, 46, 47, 48, 55, 56, 63, 64, 65, 119, 120, 200] {
            for _ in 0..<8 {
                let id = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
                for version in ["", "v1", "2026-12-01.1+\(length)", "sha256:" + String(repeating: "f", count: 64)] {
                    let expected = Self.definedDecisionId(requestId: id, version: version)
                    #expect(AssignmentEncoder.decisionId(requestId: id, version: version) == expected, "\(id) \(version)")
                }
            }
        }
        // A bridged (non-native) string takes the hasher's copying path.
        let bridged = NSString(string: "bridged-referral-id") as String
        #expect(AssignmentEncoder.decisionId(requestId: bridged, version: "v1") == Self.definedDecisionId(requestId: bridged, version: "v1"))
    }

    /// A remembered trace entry is copied into the assignment as bytes rendered once: they must read back as the
    /// entry's own four members, like an entry written member by member.
    /// `count` valid requests of the demo generator's mix, decided by the shipped configuration (one engine for all,
    /// so that its memo warms up), planned when `planned`, encoded as assignments and read back.
    static func assignments(
        seed: UInt64, prefix: String, count: Int, planned: Bool
    ) throws -> [(decision: Decision, milestones: [PlannedMilestone], payload: JSONObject)] {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let validator = RequestValidator()
        let engine = SteeringEngine(table: configuration.table)
        let planner = DecisionPlanner(configuration: configuration)
        var traffic = SyntheticTraffic(seed: seed, prefix: prefix, invalidShare: 0, duplicateShare: 0, statusShare: 0)
        var result: [(decision: Decision, milestones: [PlannedMilestone], payload: JSONObject)] = []
        for _ in 0..<count {
            let request = try validator.validateRequest(traffic.next().value).get()
            let decision = engine.decide(request)
            let milestones = planned ? planner.plan(decision, request: request) : []
            let bytes = AssignmentEncoder.assignment(
                decision, request: request, decidedAt: Date(), slaPolicy: decision.slaPolicy, milestones: milestones)
            guard case .success(.object(let payload)) = JSONParser.parse(bytes) else {
                Issue.record("unreadable assignment")
                continue
            }
            result.append((decision, milestones, payload))
        }
        return result
    }

    @Test func traceEntriesReadBackAsTheirMembersWhetherRememberedOrNot() throws {
        var remembered = 0
        var perDecision = 0
        for (decision, _, payload) in try Self.assignments(seed: 23, prefix: "trace", count: 300, planned: false) {
            guard case .array(let written)? = payload["trace"] else {
                Issue.record("no trace in the assignment")
                continue
            }
            try #require(written.count == decision.trace.count)
            for (value, entry) in zip(written, decision.trace) {
                if entry.json != nil { remembered += 1 } else { perDecision += 1 }
                // Remembered or not, an entry is the same entry: its rendered bytes are not part of its identity.
                let fresh = Decision.TraceEntry(kind: entry.kind, ruleId: entry.ruleId, matched: entry.matched, reason: entry.reason)
                #expect(fresh == entry)
                #expect(fresh.hashValue == entry.hashValue)
                let expected = JSONObject([
                    ("kind", .string(entry.kind.rawValue)), ("ruleId", .string(entry.ruleId)),
                    ("matched", .bool(entry.matched)), ("reason", .string(entry.reason)),
                ])
                #expect(value == .object(expected))
            }
        }
        // Both paths were taken: most entries are remembered, team resolutions are made per decision.
        #expect(remembered > perDecision)
        #expect(perDecision > 0)
    }

    /// The assignment writes each milestone's due time and explanation straight into its record; they must be the
    /// texts the plan defines: the due time formatted with the Helsinki offset, the explanation's paragraph.
    @Test func assignmentMilestonesCarryTheFormattedDueTimeAndExplanation() throws {
        var explained = 0
        var skipping = 0
        for (_, milestones, payload) in try Self.assignments(seed: 17, prefix: "plan", count: 400, planned: true) {
            guard case .object(let sla)? = payload["sla"], case .array(let written)? = sla["milestones"] else {
                Issue.record("no SLA milestones in the assignment")
                continue
            }
            try #require(written.count == milestones.count)
            for (value, milestone) in zip(written, milestones) {
                guard case .object(let object) = value else { continue }
                #expect(object["dueAt"] == milestone.dueAt.map { .string(LocalRFC3339.format($0)) })
                if let explanation = milestone.deadlineExplanation {
                    // The paragraph as one string, joined here from its parts.
                    var expected = "\(explanation.rule) [calendar \(explanation.calendar)]"
                    if !explanation.skippedDays.isEmpty {
                        expected += "; not counted: " + explanation.skippedDays.map { "\($0.date) \($0.reason)" }.joined(separator: ", ")
                        skipping += 1
                    }
                    if !explanation.rolledPast.isEmpty {
                        expected += "; moved past: " + explanation.rolledPast.map { "\($0.date) \($0.reason)" }.joined(separator: ", ")
                    }
                    expected += explanation.notes.map { "; " + $0 }.joined()
                    #expect(explanation.description == expected)
                    #expect(object["explanation"] == .string(expected))
                    explained += 1
                } else {
                    #expect(object["explanation"] == milestone.note.map { .string($0) })
                }
            }
        }
        #expect(explained > 100)
        #expect(skipping > 10)
    }

    /// The processor hands the encoder the decision time as the text it already made for the `ce_time` header, and
    /// the record key's bytes to the `ce_subject` header; the payloads must still carry the decision time in UTC and
    /// the decision id as defined, the headers the referral.
    @Test func theProcessorsAssignmentsAndConsultationsCarryTheDecisionTimeAndId() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        // A sub-millisecond part: the payloads' time is the instant rounded down (as `ce_time`), never to nearest.
        let now = Date(timeIntervalSince1970: 1_764_590_400.5006)
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { now })
        var traffic = SyntheticTraffic(seed: 5, prefix: "encoder", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        var counts: [String: Int] = [:]
        for offset in 0..<300 {
            let input = traffic.next()
            let record = KafkaRecord(topic: topics.requests, partition: 0, offset: Int64(offset), key: input.key, value: input.value)
            for output in processor.process(record).materialize() {
                counts[output.topic, default: 0] += 1
                guard case .success(.object(let payload)) = JSONParser.parse(output.value),
                    case .string(let referralId)? = payload["referralId"]
                else {
                    Issue.record("unreadable \(output.topic) payload")
                    continue
                }
                // Every output of a decision is keyed by its referral (the SLA and state records share the bytes).
                #expect(output.key == Array(referralId.utf8), "\(output.topic)")
                if output.topic != topics.state {
                    #expect(output.allHeaders.first { $0.key == "ce_subject" }?.stringValue == referralId, "\(output.topic)")
                }
                guard output.topic == topics.assignments || output.topic == topics.consultations else { continue }
                guard case .string(let decidedAt)? = payload["decidedAt"] else {
                    Issue.record("no decidedAt in \(output.topic)")
                    continue
                }
                #expect(decidedAt == "2025-12-01T12:00:00.500Z")
                #expect(output.allHeaders.first { $0.key == "ce_time" }?.stringValue == decidedAt)
                if output.topic == topics.assignments {
                    #expect(payload["decisionId"] == .string(Self.definedDecisionId(requestId: referralId, version: configuration.version)))
                }
            }
        }
        #expect(counts[topics.assignments] == 300)
        #expect(counts[topics.consultations, default: 0] > 0)
        #expect(counts[topics.sla, default: 0] > 0)
        #expect(counts[topics.state] == 300)
    }

    /// A field written straight into the JSON (the SLA events' times) is the same as the field of the string.
    @Test func aTimeWrittenIntoTheRecordIsTheTimeAsAField() {
        for milliseconds: Int64 in [0, 1_743_296_399_999, 1_743_296_400_000, 1_761_440_400_000, 253_402_300_800_000] {
            let instant = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            var written = JSONWriter()
            written.beginObject()
            written.field("referralId", "r-1")
            written.field("dueAt", ascii: LocalRFC3339.maximumLength) { LocalRFC3339.write(instant, into: $0) }
            written.field("teamId", "t")
            written.endObject()
            var formatted = JSONWriter()
            formatted.beginObject()
            formatted.field("referralId", "r-1")
            formatted.field("dueAt", LocalRFC3339.format(instant))
            formatted.field("teamId", "t")
            formatted.endObject()
            #expect(written.bytes == formatted.bytes, "\(written.string)")
        }
    }

    /// The state record's request hash is written as `String(_:radix: 16)` writes it.
    @Test func theStateRecordsHashIsWrittenAsItsHexString() {
        var generator = SeededGenerator(seed: 16)
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 255, 256, 0xFFFF_FFFF, 0x1_0000_0000, .max, .max >> 4, 1 << 63]
        for _ in 0..<2000 { values.append(generator.next() >> (generator.next() % 64)) }
        for value in values {
            let written = [UInt8](unsafeUninitializedCapacity: 16) { buffer, count in
                count = RecordProcessor.writeHex(value, into: buffer)
            }
            #expect(String(decoding: written, as: UTF8.self) == String(value, radix: 16), "\(value)")
        }
    }
}
