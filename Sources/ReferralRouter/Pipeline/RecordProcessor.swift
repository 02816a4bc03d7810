import Foundation
import KafkaIO
import SteeringModel

/// A record to publish.
struct OutputRecord: Sendable {
    var topic: String
    /// An explicit partition (state records go to the input's partition number), or `nil` for the partitioner.
    var partition: Int32?
    var key: [UInt8]?
    var value: [UInt8]
    var headers: [KafkaHeader]
}

/// Turns one input record into the records to publish and the state change it makes.
///
/// It holds the per-partition state (the referrals decided, for idempotence) and is used only from the consumer
/// loop's thread (rebalance callbacks run there too), so it needs no locks. Every input record ends as exactly one
/// of: a decision, a status effect, a recognised duplicate (nothing to publish), or a dead letter.
final class RecordProcessor {
    enum Outcome: Equatable {
        case routed(consultations: Int)
        case duplicate
        case statusApplied
        case deadLettered(code: String)
    }

    struct Result {
        var outputs: [OutputRecord]
        var outcome: Outcome
    }

    /// What the router remembers of a referral it decided.
    struct ReferralEntry: Equatable {
        var requestHash: UInt64
        var ownerTeam: String
        var status: String?
    }

    let topics: RouterSettings.Topics
    let source: String
    var configuration: SteeringConfiguration
    private var engine: SteeringEngine
    private let validator: RequestValidator
    private let planner: DecisionPlanner
    private let clock: @Sendable () -> Date
    private(set) var partitions: [Int32: [String: ReferralEntry]] = [:]
    /// Open cases per team, for least-load resolution (this instance's partitions only).
    private(set) var loads: [String: Int] = [:]

    init(
        configuration: SteeringConfiguration,
        topics: RouterSettings.Topics,
        source: String,
        maxRecordBytes: Int,
        clock: @escaping @Sendable () -> Date
    ) {
        self.configuration = configuration
        self.engine = SteeringEngine(table: configuration.table)
        self.planner = DecisionPlanner(configuration: configuration)
        self.validator = RequestValidator(maximumRecordBytes: maxRecordBytes)
        self.topics = topics
        self.source = source
        self.clock = clock
    }

    var referralCount: Int {
        self.partitions.values.reduce(0) { $0 + $1.count }
    }

    // MARK: Processing

    func process(_ record: KafkaRecord) -> Result {
        if record.topic == self.topics.status {
            return self.processStatus(record)
        }
        return self.processRequest(record)
    }

    private func processRequest(_ record: KafkaRecord) -> Result {
        let request: ReferralRequest
        switch self.validator.validateRequest(record.value) {
        case .failure(let failure):
            return self.deadLetter(record, failure)
        case .success(let valid):
            request = valid
        }
        let hash = Self.requestHash(request)
        if let existing = self.partitions[record.partition]?[request.id] {
            if existing.requestHash == hash {
                return Result(outputs: [], outcome: .duplicate)
            }
            return self.deadLetter(
                record,
                ValidationFailure(
                    id: request.id,
                    problems: [
                        ValidationProblem(
                            .idConflict, field: "id",
                            "a different request with this id was already decided; ids are idempotency keys")
                    ]))
        }
        let now = self.clock()
        let decision = self.engine.decide(request, loads: self.loads)
        let milestones = self.planner.plan(decision, request: request)
        let key = Array(request.id.utf8)
        let trace = Self.traceparent(record)
        var outputs: [OutputRecord] = []
        outputs.reserveCapacity(2 + decision.consultations.count)
        let assignment = AssignmentEncoder.assignment(
            decision, request: request, decidedAt: now, slaPolicy: decision.slaPolicy, milestones: milestones)
        outputs.append(
            OutputRecord(
                topic: self.topics.assignments, partition: nil, key: key, value: assignment,
                headers: self.cloudEvent(
                    id: "\(request.id)/assignment", type: "fi.referral.assignment.v1", subject: request.id, time: now,
                    schema: "assignment.v1", traceparent: trace)))
        for consultation in decision.consultations {
            outputs.append(
                OutputRecord(
                    topic: self.topics.consultations, partition: nil, key: key,
                    value: AssignmentEncoder.consultation(consultation, decision: decision, request: request, decidedAt: now),
                    headers: self.cloudEvent(
                        id: "\(request.id)/consultation/\(consultation.teamId)", type: "fi.referral.consultation.v1",
                        subject: request.id, time: now, schema: "consultation.v1", traceparent: trace)))
        }
        let entry = ReferralEntry(requestHash: hash, ownerTeam: decision.owner.teamId, status: nil)
        outputs.append(self.stateRecord(request.id, entry, partition: record.partition, offset: record.offset, now: now))
        self.partitions[record.partition, default: [:]][request.id] = entry
        self.loads[decision.owner.teamId, default: 0] += 1
        return Result(outputs: outputs, outcome: .routed(consultations: decision.consultations.count))
    }

    private func processStatus(_ record: KafkaRecord) -> Result {
        let update: StatusUpdate
        switch self.validator.validateStatus(record.value) {
        case .failure(let failure):
            return self.deadLetter(record, failure)
        case .success(let valid):
            update = valid
        }
        guard var entry = self.partitions[record.partition]?[update.referralId] else {
            return self.deadLetter(
                record,
                ValidationFailure(
                    id: update.referralId,
                    problems: [
                        ValidationProblem(
                            .unknownReferral, field: "referralId",
                            "no referral with this id was decided on this partition; check the id and the co-partitioning of the status topic"
                        )
                    ]))
        }
        let wasOpen = entry.status != "closed" && entry.status != "withdrawn"
        switch update.status {
        case .reassigned:
            if let newTeam = update.newTeam, newTeam != entry.ownerTeam {
                if wasOpen {
                    self.loads[entry.ownerTeam, default: 1] -= 1
                    self.loads[newTeam, default: 0] += 1
                }
                entry.ownerTeam = newTeam
            }
        case .closed, .withdrawn:
            if wasOpen {
                self.loads[entry.ownerTeam, default: 1] -= 1
            }
            entry.status = update.status.rawValue
        default:
            entry.status = update.status.rawValue
        }
        self.partitions[record.partition, default: [:]][update.referralId] = entry
        let output = self.stateRecord(update.referralId, entry, partition: record.partition, offset: record.offset, now: self.clock())
        return Result(outputs: [output], outcome: .statusApplied)
    }

    // MARK: Dead letters

    private func deadLetter(_ record: KafkaRecord, _ failure: ValidationFailure) -> Result {
        let now = self.clock()
        var headers = record.headers
        headers.append(KafkaHeader(key: "__connect.errors.topic", string: record.topic))
        headers.append(KafkaHeader(key: "__connect.errors.partition", string: String(record.partition)))
        headers.append(KafkaHeader(key: "__connect.errors.offset", string: String(record.offset)))
        headers.append(
            KafkaHeader(key: "__connect.errors.exception.class.name", string: "referral-router.\(failure.code.rawValue)"))
        headers.append(KafkaHeader(key: "__connect.errors.exception.message", string: failure.reason))
        headers.append(KafkaHeader(key: "referral-router.error.code", string: failure.code.rawValue))
        headers.append(KafkaHeader(key: "referral-router.error.at", string: RFC3339.format(now)))
        let deadLetter = OutputRecord(
            topic: self.topics.deadletter, partition: nil, key: record.key, value: record.value, headers: headers)
        let rejectionKey = failure.id.map { Array($0.utf8) } ?? record.key
        let rejection = OutputRecord(
            topic: self.topics.rejections, partition: nil, key: rejectionKey,
            value: RejectionEncoder.rejection(
                failure, rejectedAt: now, sourceTopic: record.topic, partition: record.partition, offset: record.offset),
            headers: self.cloudEvent(
                id: "\(record.topic)/\(record.partition)/\(record.offset)/rejection", type: "fi.referral.rejection.v1",
                subject: failure.id, time: now, schema: "rejection.v1", traceparent: Self.traceparent(record)))
        return Result(outputs: [deadLetter, rejection], outcome: .deadLettered(code: failure.code.rawValue))
    }

    // MARK: State

    private func stateRecord(_ id: String, _ entry: ReferralEntry, partition: Int32, offset: Int64, now: Date) -> OutputRecord {
        var json = JSONWriter(capacity: 192)
        json.beginObject()
        json.field("v", 1)
        json.field("referralId", id)
        json.field("requestHash", String(entry.requestHash, radix: 16))
        json.field("ownerTeam", entry.ownerTeam)
        json.field("status", entry.status)
        json.field("updatedAt", RFC3339.format(now))
        json.field("inputOffset", Int(offset))
        json.endObject()
        return OutputRecord(
            topic: self.topics.state, partition: partition, key: Array(id.utf8), value: json.bytes,
            headers: [KafkaHeader(key: "content-type", string: "application/json")])
    }

    /// Rebuilds a partition's state from its state-topic records (the last record of each key wins).
    func restore(partition: Int32, records: [KafkaRecord]) {
        var entries = self.partitions[partition] ?? [:]
        for record in records {
            guard case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let id)? = object["referralId"],
                case .string(let hashText)? = object["requestHash"], let hash = UInt64(hashText, radix: 16),
                case .string(let owner)? = object["ownerTeam"]
            else { continue }
            var status: String?
            if case .string(let text)? = object["status"] { status = text }
            entries[id] = ReferralEntry(requestHash: hash, ownerTeam: owner, status: status)
        }
        self.partitions[partition] = entries
        self.recomputeLoads()
    }

    func drop(partition: Int32) {
        self.partitions.removeValue(forKey: partition)
        self.recomputeLoads()
    }

    private func recomputeLoads() {
        var loads: [String: Int] = [:]
        for entries in self.partitions.values {
            for entry in entries.values where entry.status != "closed" && entry.status != "withdrawn" {
                loads[entry.ownerTeam, default: 0] += 1
            }
        }
        self.loads = loads
    }

    // MARK: Helpers

    private func cloudEvent(
        id: String,
        type: String,
        subject: String?,
        time: Date,
        schema: String,
        traceparent: KafkaHeader?
    ) -> [KafkaHeader] {
        var headers = [
            KafkaHeader(key: "ce_specversion", string: "1.0"),
            KafkaHeader(key: "ce_id", string: id),
            KafkaHeader(key: "ce_source", string: self.source),
            KafkaHeader(key: "ce_type", string: type),
            KafkaHeader(key: "ce_time", string: RFC3339.format(time)),
            KafkaHeader(key: "ce_dataschema", string: "urn:referral-router:schema:\(schema)"),
            KafkaHeader(key: "content-type", string: "application/json"),
        ]
        if let subject {
            headers.append(KafkaHeader(key: "ce_subject", string: subject))
        }
        if let traceparent {
            headers.append(traceparent)
        }
        return headers
    }

    private static func traceparent(_ record: KafkaRecord) -> KafkaHeader? {
        record.headers.first { $0.key == "traceparent" }
    }

    /// A stable hash of a request's content (FNV-1a over its validated fields), so that a byte-for-byte different
    /// but equal retry is recognised as the same request.
    static func requestHash(_ request: ReferralRequest) -> UInt64 {
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
        mix(request.need.concerns.map(\.rawValue).joined(separator: ","))
        mix(request.need.urgency.rawValue)
        mix(request.need.severity.rawValue)
        mix(request.consultation?.caseOwnerTeam)
        mix(request.consultation?.requestedUnitType?.rawValue)
        mix(request.consultation?.question)
        mix(request.notes)
        return hash
    }
}
