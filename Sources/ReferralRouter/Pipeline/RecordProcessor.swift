import Deadlines
import Foundation
import HeapModule
import KafkaIO
import SteeringModel

extension Date {
    var epochMilliseconds: Int64 {
        Int64((self.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A record to publish.
///
/// Its headers come in parts (``allHeaders`` lists them as they are produced): a part that many records carry is
/// one array built once and shared, so that building, copying and freeing an output costs one reference to it
/// rather than a copy of each header.
struct OutputRecord: Sendable {
    /// The deterministic output id's UTF-8 bytes, by which a restore recognises what was already published: produced
    /// under each of ``idHeaderNames`` (the output id header; the CloudEvents id too where the record is a CloudEvent).
    var id: [UInt8]?
    var topic: String
    /// An explicit partition (state records go to the input's partition number), or `nil` for the partitioner.
    var partition: Int32?
    var key: [UInt8]?
    var value: [UInt8]
    /// Whether the record is produced without a value (a tombstone's dead letter keeps its null value).
    var valueIsNull = false
    /// This record's own headers (a dead letter's error headers; none for most records).
    var headers: [KafkaHeader] = []
    /// The headers every record of its kind carries (the CloudEvents spec version, source, type and schema, the
    /// content type), produced first.
    var sharedHeaders: [KafkaHeader] = []
    /// The headers every record of one event carries (its CloudEvents time and subject, the input's trace).
    var eventHeaders: [KafkaHeader] = []
    /// The header names ``id`` is produced under.
    var idHeaderNames: [String] = OutputRecord.outputIdHeader

    static let outputIdHeader = ["referral-router.output-id"]
    static let cloudEventIdHeaders = ["ce_id", "referral-router.output-id"]

    /// Every header, in the order the producer writes them.
    var allHeaders: [KafkaHeader] {
        self.sharedHeaders + self.eventHeaders
            + (self.id.map { id in self.idHeaderNames.map { KafkaHeader(key: $0, value: id) } } ?? []) + self.headers
    }
}

/// Turns one input record into the records to publish and the state change it makes.
///
/// It holds the per-partition state (the referrals decided, for idempotence) and is used only from the consumer
/// loop's thread (rebalance callbacks run there too), so it needs no locks. The one exception is a routed
/// request's output encoding (`Result.deferred`), which the output worker runs: it reads only immutable settings,
/// the values captured at decision time, and the restore's published ids, which change only while the worker is
/// drained. Every input record ends as exactly one
/// of: a decision, a status effect, a recognised duplicate (nothing to publish), or a dead letter. (A status update
/// that waits for its request's replay, ``Outcome/awaitingRequest``, is read again and ends as one of these then.)
final class RecordProcessor: @unchecked Sendable {
    enum Outcome: Equatable, Sendable {
        case routed(consultations: Int)
        case duplicate
        case statusApplied
        case deadLettered(code: String)
        /// A status update for a referral whose assignment is on the output tail but whose request has not been
        /// replayed yet (``awaitRequests(partition:)``): nothing was changed, and the record must be read again
        /// after the request.
        case awaitingRequest
    }

    struct Result: Sendable {
        var outputs: [OutputRecord]
        var outcome: Outcome
        /// Builds the outputs of a routed request (the decision and its state change are already made); run on
        /// the output worker, so that encoding overlaps deciding the next record.
        var deferred: (@Sendable () -> [OutputRecord])? = nil

        /// The outputs, encoding them here if they were deferred.
        func materialize() -> [OutputRecord] {
            self.deferred?() ?? self.outputs
        }
    }

    /// What the router remembers of a referral it decided.
    struct ReferralEntry: Equatable {
        /// The request's legacy hash, and its content hash (`nil` in a state record of a version before 2026-12-07),
        /// both stored: a version that knows only the first, running beside this one in a rolling deploy or after a
        /// rollback, still recognises the request (``requestHashes(_:)``).
        var requestHash: UInt64
        var contentHash: UInt64? = nil
        var ownerTeam: String
        var status: String?
        /// The calendars of later milestones depend on where the client lives and goes to school.
        var municipality: String?
        var schoolId: String?
        var timers: ReferralTimers?
        /// The offset of the request that was decided, so that its replay is told apart from a repeated request.
        var inputOffset: Int64?
    }

    /// A referral whose timers wake up at an instant.
    struct WakeUp: Comparable {
        var milliseconds: Int64
        var partition: Int32
        var referralId: String

        static func < (lhs: WakeUp, rhs: WakeUp) -> Bool {
            (lhs.milliseconds, lhs.partition, lhs.referralId) < (rhs.milliseconds, rhs.partition, rhs.referralId)
        }
    }

    let topics: RouterSettings.Topics
    let source: String
    var configuration: SteeringConfiguration
    private var engine: SteeringEngine
    private let validator: RequestValidator
    private var planner: DecisionPlanner
    private let clock: @Sendable () -> Date
    private(set) var partitions: [Int32: [String: ReferralEntry]] = [:]
    /// Open cases per team, for least-load resolution (this instance's partitions only).
    private(set) var loads: [String: Int] = [:]
    /// When each referral's timers next need the clock; entries may be stale and are checked when popped.
    private var wakeUps = Heap<WakeUp>()

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
        let sourceHeader = KafkaHeader(key: "ce_source", string: source)
        self.assignmentHeaders = Self.sharedHeaders(source: sourceHeader, type: Self.assignmentType, schema: Self.assignmentSchema)
        self.consultationHeaders = Self.sharedHeaders(
            source: sourceHeader, type: Self.consultationType, schema: Self.consultationSchema)
        self.rejectionHeaders = Self.sharedHeaders(source: sourceHeader, type: Self.rejectionType, schema: Self.rejectionSchema)
        var slaHeaders = [[KafkaHeader]](repeating: [], count: SLAEvent.Kind.allCases.count)
        for kind in SLAEvent.Kind.allCases {
            slaHeaders[Self.slot(of: kind)] = Self.sharedHeaders(
                source: sourceHeader, type: Self.slaTypes[kind]!, schema: Self.slaSchema)
        }
        self.slaHeaders = slaHeaders
        self.clock = clock
    }

    /// Replaces the steering configuration; the next record is decided by it.
    func reconfigure(_ configuration: SteeringConfiguration) {
        self.configuration = configuration
        self.engine = SteeringEngine(table: configuration.table)
        self.planner = DecisionPlanner(configuration: configuration)
    }

    /// Open cases (with running timers) whose owner team `table` does not have: a reload removed or renamed it, and
    /// their SLA events name a team nobody follows any more.
    func openCasesWithoutTeam(in table: RoutingTable) -> Int {
        var count = 0
        for entries in self.partitions.values {
            for entry in entries.values where entry.timers != nil && table.team(id: entry.ownerTeam) == nil {
                count += 1
            }
        }
        return count
    }

    var referralCount: Int {
        self.partitions.values.reduce(0) { $0 + $1.count }
    }

    // MARK: Processing

    /// Output ids already published on each partition's tail, found by the restore; outputs with these ids are not
    /// published again when their input is replayed.
    private(set) var published: [Int32: Set<String>] = [:]

    func process(_ record: KafkaRecord) -> Result {
        var result = record.topic == self.topics.status ? self.processStatus(record) : self.processRequest(record)
        let partition = record.partition
        if let encode = result.deferred {
            result.deferred = { self.finish(encode(), partition: partition) }
        } else {
            result.outputs = self.finish(result.outputs, partition: partition)
        }
        return result
    }

    /// Sends every output to the input's partition number and drops outputs a restore found already published.
    /// (Each output's id is produced as its output id header: ``OutputRecord/idHeaderNames``.)
    func finish(_ outputs: consuming [OutputRecord], partition: Int32) -> [OutputRecord] {
        let published = self.published[partition]
        // In place: the outputs are this call's own, so no record is copied.
        for index in outputs.indices {
            outputs[index].partition = partition
        }
        if let published, !published.isEmpty {
            // Only after a restore found outputs on the partition's tail: the ids are made into text here.
            outputs.removeAll { output in
                output.id.map { published.contains(String(decoding: $0, as: UTF8.self)) } == true
            }
        }
        return outputs
    }

    /// - Parameter owners: the owner team of each assignment on the tail, by referral id (see ``publishedOwners``).
    func setPublished(_ ids: Set<String>, owners: [String: String] = [:], partition: Int32) {
        self.published[partition] = ids
        self.publishedOwners[partition] = owners.isEmpty ? nil : owners
    }

    /// The owners the assignments on each partition's tail name, by referral id. A record's outputs go to several
    /// partitions: its assignment can land while its state record does not (the process killed between the two).
    /// Replayed then, the request has no state and would be decided with the loads of now, perhaps for another
    /// team than the published assignment names; its state, timers and SLA events keep that owner instead.
    private var publishedOwners: [Int32: [String: String]] = [:]

    /// What a partition whose request backlog (what the previous owner left uncommitted) has not been read through
    /// yet waits for. A status update read there before its referral's replayed request is not dead-lettered as
    /// unknown: requests and status updates are separate topics, read in no fixed order, and the team may have
    /// answered an assignment that landed just before the process stopped.
    private struct RequestWait {
        /// Referrals with an assignment but no state whose request was read during the backlog, whatever became of
        /// it (decided, or dead-lettered): an update for one of them waits no longer.
        var read: Set<String> = []
        /// The referral whose request the partition's parked status update waits for.
        var awaited: String?
    }

    /// By partition number, while its request backlog is unread.
    private var awaitingRequests: [Int32: RequestWait] = [:]

    func awaitRequests(partition: Int32) {
        if self.awaitingRequests[partition] == nil { self.awaitingRequests[partition] = RequestWait() }
    }

    /// The partition's request backlog was read through (or given up on): from now on a status update for a
    /// referral without state is refused.
    func requestsReadThrough(partition: Int32) {
        self.awaitingRequests.removeValue(forKey: partition)
    }

    /// Partitions whose awaited request was read since ``takeArrivedRequests()``: their status update can be read
    /// again.
    private(set) var arrivedRequests: Set<Int32> = []

    func takeArrivedRequests() -> Set<Int32> {
        defer { self.arrivedRequests = [] }
        return self.arrivedRequests
    }

    /// A request was read on a partition whose backlog is awaited (before its outcome: the update it releases is
    /// read again only after this record's state change).
    private func requestRead(_ id: String, partition: Int32) {
        guard let wait = self.awaitingRequests[partition] else { return }
        if self.publishedOwners[partition]?[id] != nil {
            self.awaitingRequests[partition]?.read.insert(id)
        }
        if wait.awaited == id {
            self.awaitingRequests[partition]?.awaited = nil
            self.arrivedRequests.insert(partition)
        }
    }

    private func processRequest(_ record: KafkaRecord) -> Result {
        let request: ReferralRequest
        switch self.validator.validateRequest(record.value) {
        case .failure(let failure):
            if let id = failure.id {
                if !self.awaitingRequests.isEmpty {
                    self.requestRead(id, partition: record.partition)
                }
                if self.partitions[record.partition]?[id]?.inputOffset == record.offset {
                    // The very record an earlier version decided (its state names this offset), replayed after a
                    // check was added or tightened: a referral that is assigned is not rejected to its sender. It
                    // cannot be decided again, so outputs of it that never landed stay missing.
                    return Result(outputs: [], outcome: .duplicate)
                }
            }
            return self.deadLetter(record, failure)
        case .success(let valid):
            request = valid
        }
        if !self.awaitingRequests.isEmpty {
            self.requestRead(request.id, partition: record.partition)
        }
        if let mismatch = Self.keyMismatch(record, id: request.id) { return self.deadLetter(record, mismatch) }
        let hashes = Self.requestHashes(request)
        let existing = self.partitions[record.partition]?[request.id]
        // For a request not decided before, as below: one decided by an earlier version stays decided.
        if existing == nil, let implausible = self.implausibleTime(request.submittedAt, field: "submittedAt", id: request.id, record: record) {
            return self.deadLetter(record, implausible)
        }
        // Checked for a request not decided before: a replay or a re-send of one that was accepted must not be
        // rejected because a reload removed its case-owner team since (its state would stay, its outputs never go).
        if existing == nil, request.consultation != nil, let unknown = self.engine.unknownReferences(in: request) {
            return self.deadLetter(record, unknown)
        }
        if let existing, existing.inputOffset == record.offset, Self.sameRequest(existing, hashes) {
            // A replay of the very record that was decided: its state landed, but some outputs may not have
            // (they go to other partitions). Decide again; outputs already published are dropped by id.
        } else if let existing {
            if Self.sameRequest(existing, hashes) {
                return Result(outputs: [], outcome: .duplicate)
            }
            return self.deadLetter(
                record,
                Self.failure(
                    request.id, .idConflict, field: "id",
                    "a different request with this id was already decided; ids are idempotency keys"))
        }
        let now = self.clock()
        // Only a replay gets here with an entry: its assignment names the owner its state and timers name. A replay
        // whose state was lost keeps the owner its published assignment names.
        let keeping = existing?.ownerTeam ?? (self.publishedOwners.isEmpty ? nil : self.publishedOwners[record.partition]?[request.id])
        let decision = self.engine.decide(request, loads: self.loads, keepingOwner: keeping)
        let key = Array(request.id.utf8)
        let trace = Self.traceparent(record)
        var entry = ReferralEntry(
            requestHash: hashes.legacy, contentHash: hashes.current, ownerTeam: decision.owner.teamId, status: nil, municipality: request.client.municipality,
            schoolId: request.client.schoolId, inputOffset: record.offset)
        // The timers compute the policy's due times; the assignment shows the same ones (computed once).
        var started: (events: [SLAEvent], deadlines: [ReferralTimers.MilestoneDeadline]) = ([], [])
        // Looked up once: the assignment's plan (on the output worker) lists the same milestones.
        let policy = decision.slaPolicy.flatMap {
            self.planner.milestones(policyId: $0, urgency: request.need.urgency.rawValue)
        }
        if let policy {
            var timers = ReferralTimers(referralId: request.id)
            let calculator = self.planner.calculator(for: request)
            if case .started(let events, let deadlines)? = try? timers.start(
                policyId: policy.policyId, milestones: policy.milestones, defaultThresholds: policy.defaultThresholds,
                teamId: decision.owner.teamId, at: request.submittedAt, calculator: calculator)
            {
                started = (events, deadlines)
            }
            // On a replay the timers keep what they have fired since; their `started` events are re-sent by id.
            entry.timers = existing?.timers ?? timers
        }
        if let existing {
            // A replay keeps what happened to the case since (with or without an SLA policy). Its timers stay even
            // when a reload since gave the request a rule without a policy: a running statutory deadline is never
            // dropped by a replay.
            entry.status = existing.status
            entry.ownerTeam = existing.ownerTeam
            entry.timers = existing.timers ?? entry.timers
            if let running = existing.timers?.policyId, running != policy?.policyId {
                // The configuration changed between the decision and its replay: the running timers' policy
                // stays, and no `started` event is sent for milestones they do not run.
                started = ([], [])
            }
        }
        if entry.timers != nil {
            self.schedule(entry, id: request.id, partition: record.partition)
        }
        self.store(entry, id: request.id, partition: record.partition, replacing: existing)
        if existing == nil {
            self.changeLoad(decision.owner.teamId, by: 1)
        }
        // The state change is made; the outputs are encoded from values fixed now, on the output worker. They travel
        // in one immutable object: captured one by one, each value was copied into the closure and copied again
        // where it was read (every text of the request retained and released twice).
        let consultations = decision.consultations.count
        let routed = Routed(
            planner: self.planner, request: request, decision: decision, policy: policy, events: started.events,
            deadlines: started.deadlines, state: entry, partition: record.partition, now: now, key: key, traceparent: trace)
        let encode: @Sendable () -> [OutputRecord] = { self.outputs(of: routed) }
        return Result(outputs: [], outcome: .routed(consultations: consultations), deferred: encode)
    }

    /// What a routed request's outputs are encoded from (``outputs(of:)``), fixed when it was decided.
    private final class Routed: Sendable {
        /// The planner of the configuration that decided (a reload may replace the processor's meanwhile).
        let planner: DecisionPlanner
        let request: ReferralRequest
        let decision: Decision
        let policy: DecisionPlanner.PolicyMilestones?
        let events: [SLAEvent]
        let deadlines: [ReferralTimers.MilestoneDeadline]
        let state: ReferralEntry
        let partition: Int32
        let now: Date
        let key: [UInt8]
        let traceparent: KafkaHeader?

        init(
            planner: DecisionPlanner, request: ReferralRequest, decision: Decision,
            policy: DecisionPlanner.PolicyMilestones?, events: [SLAEvent], deadlines: [ReferralTimers.MilestoneDeadline],
            state: ReferralEntry, partition: Int32, now: Date, key: [UInt8], traceparent: KafkaHeader?
        ) {
            self.planner = planner
            self.request = request
            self.decision = decision
            self.policy = policy
            self.events = events
            self.deadlines = deadlines
            self.state = state
            self.partition = partition
            self.now = now
            self.key = key
            self.traceparent = traceparent
        }
    }

    /// The records a routed request publishes: its assignment, a record per consultation, its SLA events and its
    /// state. Run on the output worker.
    private func outputs(of routed: Routed) -> [OutputRecord] {
        let decision = routed.decision
        let request = routed.request
        let milestones = routed.planner.plan(decision, request: request, policy: routed.policy, computed: routed.deadlines)
        var outputs: [OutputRecord] = []
        outputs.reserveCapacity(3 + decision.consultations.count + routed.events.count)
        // What every output of this decision shares is built once: the time, the subject, the trace.
        let stamp = self.stamp(routed.now, subject: request.id, subjectBytes: routed.key, traceparent: routed.traceparent)
        let assignment = AssignmentEncoder.assignment(
            decision, request: request, decidedAt: routed.now, slaPolicy: decision.slaPolicy, milestones: milestones,
            decidedAtText: stamp.timeText)
        outputs.append(
            OutputRecord(
                id: Self.outputId(request.id, "/assignment"), topic: self.topics.assignments, partition: nil,
                key: routed.key, value: assignment, sharedHeaders: self.assignmentHeaders, eventHeaders: stamp.headers,
                idHeaderNames: OutputRecord.cloudEventIdHeaders))
        // In place: `for … in` copied each consultation and event out (their strings retained and released).
        decision.consultations.withUnsafeBufferPointer { consultations in
            for index in consultations.indices {
                let consultationId = Self.outputId(request.id, "/consultation/", consultations[index].unitType.rawValue)
                outputs.append(
                    OutputRecord(
                        id: consultationId, topic: self.topics.consultations, partition: nil, key: routed.key,
                        value: AssignmentEncoder.consultation(
                            consultations[index], decision: decision, request: request, decidedAt: routed.now,
                            decidedAtText: stamp.timeText),
                        sharedHeaders: self.consultationHeaders, eventHeaders: stamp.headers,
                        idHeaderNames: OutputRecord.cloudEventIdHeaders))
            }
        }
        routed.events.withUnsafeBufferPointer { events in
            for index in events.indices {
                outputs.append(self.slaRecord(events[index], stamp: stamp, key: routed.key))
            }
        }
        outputs.append(
            self.stateRecord(
                request.id, routed.state, partition: routed.partition, now: routed.now, nowText: stamp.timeText,
                key: routed.key))
        return outputs
    }

    private func processStatus(_ record: KafkaRecord) -> Result {
        let update: StatusUpdate
        switch self.validator.validateStatus(record.value) {
        case .failure(let failure):
            return self.deadLetter(record, failure)
        case .success(let valid):
            update = valid
        }
        if let mismatch = Self.keyMismatch(record, id: update.referralId) { return self.deadLetter(record, mismatch) }
        // A status dated ahead would meet a milestone before it was met. One whose state landed (an earlier version
        // may have applied it) is not judged again: its replay re-derives the events that may be missing.
        let applied = self.statusReplays[record.partition]?[record.offset]?.referralId == update.referralId
        if !applied, let implausible = self.implausibleTime(update.at, field: "at", id: update.referralId, record: record) {
            return self.deadLetter(record, implausible)
        }
        guard let previous = self.partitions[record.partition]?[update.referralId] else {
            if let wait = self.awaitingRequests[record.partition],
                self.publishedOwners[record.partition]?[update.referralId] != nil, !wait.read.contains(update.referralId)
            {
                // Its assignment landed and its state did not (the process stopped between the two), so its request
                // is in the backlog still to be replayed: the update is read again after it, not refused.
                self.awaitingRequests[record.partition]?.awaited = update.referralId
                return Result(outputs: [], outcome: .awaitingRequest)
            }
            return self.deadLetter(
                record,
                Self.failure(
                    update.referralId, .unknownReferral, field: "referralId",
                    "no referral with this id was decided on this partition; check the id and the co-partitioning of the status topic"))
        }
        if update.status == .reassigned, let newTeam = update.newTeam, newTeam != previous.ownerTeam,
            self.configuration.table.team(id: newTeam) == nil
        {
            // The new owner must be a team the router knows: its timers and counts are kept under it, and a name
            // typed into the field (a person's, say) must not become a metric label or reach the status page. A
            // replay of a reassignment already applied (the state names the team) is not refused when a reload
            // removed or renamed the team since.
            return self.deadLetter(
                record,
                Self.failure(
                    update.referralId, .unknownTeam, field: "team",
                    "a reassignment must name a team id of the steering configuration (regions/*.yaml, teams)"))
        }
        var entry = previous
        switch update.status {
        case .reassigned:
            if let newTeam = update.newTeam { entry.ownerTeam = newTeam }
        default:
            entry.status = update.status.rawValue
        }
        // The loads follow whether the case is open and who owns it, before and after (a status after `closed`
        // reopens the case, as it does when the state is restored).
        if Self.isOpen(previous) { self.changeLoad(previous.ownerTeam, by: -1) }
        if Self.isOpen(entry) { self.changeLoad(entry.ownerTeam, by: 1) }
        let now = self.clock()
        var outputs: [OutputRecord] = []
        if var timers = entry.timers, let status = ReferralStatus(rawValue: update.status.rawValue) {
            let calculator = self.planner.calculator(municipality: entry.municipality, schoolId: entry.schoolId, at: update.at)
            if case .publish(let events, _)? = try? timers.statusReceived(
                status, at: update.at, teamId: update.newTeam, calculator: calculator, now: now)
            {
                let stamp = self.stamp(now, subject: update.referralId, traceparent: Self.traceparent(record))
                outputs += events.map { self.slaRecord($0, stamp: stamp) }
            }
            entry.timers = timers
            // Unchanged, the wake-up already scheduled stands (a second entry for it only took memory until then).
            if timers.nextWakeUp != previous.timers?.nextWakeUp {
                self.schedule(entry, id: update.referralId, partition: record.partition)
            }
        }
        if let replay = self.statusReplays[record.partition]?.removeValue(forKey: record.offset),
            replay.referralId == update.referralId, var prior = replay.prior,
            let status = ReferralStatus(rawValue: update.status.rawValue),
            // Retention deleted the start of the SLA tail: events of an update before it may be there, unseen.
            update.at.epochMilliseconds >= self.slaCompleteFrom[record.partition] ?? Int64.min
        {
            // Applied before the restore but not committed: its events may never have landed. Derived again from the
            // timers as they were before it (the state already has it applied); those that did land are dropped by
            // id in `finish`.
            let calculator = self.planner.calculator(municipality: entry.municipality, schoolId: entry.schoolId, at: update.at)
            if case .publish(let events, _)? = try? prior.statusReceived(
                status, at: update.at, teamId: update.newTeam, calculator: calculator, now: now), !events.isEmpty
            {
                let known = Set(outputs.compactMap(\.id))
                let stamp = self.stamp(now, subject: update.referralId, traceparent: Self.traceparent(record))
                outputs += events.map { self.slaRecord($0, stamp: stamp) }.filter { $0.id.map { !known.contains($0) } ?? true }
            }
        }
        self.store(entry, id: update.referralId, partition: record.partition, replacing: previous)
        outputs.append(
            self.stateRecord(update.referralId, entry, partition: record.partition, now: now, statusOffset: record.offset))
        return Result(outputs: outputs, outcome: .statusApplied)
    }

    /// Requests and status updates are keyed by the referral id (messages.md), which is what puts a referral's
    /// records on one partition: duplicates are found per partition, so a retry under another key (or none) would
    /// land elsewhere and be assigned a second time, and a status update elsewhere would miss its referral.
    private static func keyMismatch(_ record: KafkaRecord, id: String) -> ValidationFailure? {
        if let key = record.key, key.elementsEqual(id.utf8) { return nil }
        return Self.failure(
            id, .keyMismatch, field: "id",
            "the record's key must be the referral id (requests and status updates are keyed and partitioned by it)")
    }

    /// How far a request's `submittedAt` or a status update's `at` may lie after the record's own timestamp: clocks
    /// of the submitting systems drift, but not by more.
    static let clockSkewTolerance: TimeInterval = 15 * 60
    /// The earliest instant a request or status may name (the Child Welfare Act in force is 417/2007).
    static let earliestPlausible = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01T00:00:00Z

    /// A `bad_timestamp` failure when `time` cannot be true: later than the record was produced (its Kafka
    /// timestamp, which every record of a current client carries), or before 2000. Every deadline counts from these
    /// instants: a `submittedAt` of 2062 for 2026 would set due times decades out, and no warning or breach would
    /// ever fire. Judged against the record's timestamp rather than the clock, a replay gets the same answer.
    private func implausibleTime(_ time: Date, field: String, id: String, record: KafkaRecord) -> ValidationFailure? {
        if record.timestamp > 0, time.timeIntervalSince(Date(timeIntervalSince1970: Double(record.timestamp) / 1000)) > Self.clockSkewTolerance {
            return Self.failure(
                id, .badTimestamp, field: field,
                "\(field) is later than the record was produced, by more than \(Int(Self.clockSkewTolerance / 60)) minutes; check the submitting system's clock")
        }
        if time < Self.earliestPlausible {
            return Self.failure(id, .badTimestamp, field: field, "\(field) is before 2000")
        }
        return nil
    }

    /// A problem the pipeline finds (not the validator): one code, one field, for the record with this id.
    private static func failure(_ id: String, _ code: ValidationProblem.Code, field: String, _ message: String) -> ValidationFailure {
        ValidationFailure(id: id, problems: [ValidationProblem(code, field: field, message)])
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
        let source = "\(record.topic)/\(record.partition)/\(record.offset)"
        let deadLetter = OutputRecord(
            id: Array("\(source)/deadletter".utf8), topic: self.topics.deadletter, partition: nil, key: record.key, value: record.value,
            valueIsNull: record.isTombstone, headers: headers)
        let rejectionKey = failure.id.map { Array($0.utf8) } ?? record.key
        let rejectionId = Array("\(source)/rejection".utf8)
        let rejection = OutputRecord(
            id: rejectionId, topic: self.topics.rejections, partition: nil, key: rejectionKey,
            value: RejectionEncoder.rejection(
                failure, rejectedAt: now, sourceTopic: record.topic, partition: record.partition, offset: record.offset),
            sharedHeaders: self.rejectionHeaders,
            eventHeaders: self.stamp(now, subject: failure.id, traceparent: Self.traceparent(record)).headers,
            idHeaderNames: OutputRecord.cloudEventIdHeaders)
        return Result(outputs: [deadLetter, rejection], outcome: .deadLettered(code: failure.code.rawValue))
    }

    // MARK: State

    /// - Parameter statusOffset: for a record a status update caused, the update's offset (a restore that finds it
    ///   not committed derives its SLA events again from the record before, when the update is read again).
    private func stateRecord(
        _ id: String, _ entry: ReferralEntry, partition: Int32, now: Date, nowText: String? = nil,
        key: [UInt8]? = nil, statusOffset: Int64? = nil
    ) -> OutputRecord {
        // About 250 bytes and 250 more per timer: room for all of it, so that the buffer never grows.
        var json = JSONWriter(capacity: 320 + (entry.timers?.timers.count ?? 0) * 320)
        json.beginObject()
        json.field("v", 1)
        json.field("referralId", id)
        json.field("requestHash", ascii: 16) { Self.writeHex(entry.requestHash, into: $0) }
        if let contentHash = entry.contentHash {
            json.field("contentHash", ascii: 16) { Self.writeHex(contentHash, into: $0) }
        }
        json.field("ownerTeam", entry.ownerTeam)
        json.field("status", entry.status)
        json.field("municipality", entry.municipality)
        json.field("schoolId", entry.schoolId)
        if let timers = entry.timers {
            json.key("timers")
            self.timerCodec.write(timers, into: &json)
        }
        json.field("updatedAt", nowText ?? RFC3339.format(now))
        json.field("inputOffset", entry.inputOffset.map { Int($0) })
        json.field("statusOffset", statusOffset.map { Int($0) })
        json.endObject()
        return OutputRecord(
            id: nil, topic: self.topics.state, partition: partition, key: key ?? Array(id.utf8), value: json.finish(),
            headers: [], sharedHeaders: Self.stateHeaders)
    }

    /// `value` in lower-case hex without leading zeros, as `String(value, radix: 16)` writes it (at most 16 bytes).
    static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
        for index in 0..<count {
            let nibble = Int(truncatingIfNeeded: value >> UInt64((count - 1 - index) * 4)) & 0xF
            buffer[index] = nibble < 10 ? UInt8(48 + nibble) : UInt8(87 + nibble)
        }
        return count
    }

    /// A state record's headers, the same on every one (shared, not copied: a state record has no output id).
    private static let stateHeaders = [contentTypeHeader]

    /// The state-topic key of an input partition's checkpoint.
    static func checkpointKey(_ input: KafkaPartition) -> String {
        "__checkpoint/\(input.topic)/\(input.partition)"
    }

    /// A checkpoint: the committed offset of an input partition and where, in each output partition, the outputs
    /// of later records begin. Written after the offset was committed.
    func checkpointRecord(_ checkpoint: OffsetTracker.Checkpoint, now: Date) -> OutputRecord {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.field("v", 1)
        json.field("checkpoint", checkpoint.partition.topic)
        json.field("partition", Int(checkpoint.partition.partition))
        json.field("inputOffset", Int(checkpoint.offset))
        json.key("outputs")
        json.beginObject()
        for (output, offset) in checkpoint.outputs.sorted(by: { $0.key < $1.key }) where output.partition == checkpoint.partition.partition {
            json.field(named: output.topic, Int(offset))
        }
        json.endObject()
        json.field("updatedAt", RFC3339.format(now))
        json.endObject()
        return OutputRecord(
            id: nil, topic: self.topics.state, partition: checkpoint.partition.partition,
            key: Array(Self.checkpointKey(checkpoint.partition).utf8), value: json.finish(),
            headers: [KafkaHeader(key: "content-type", string: "application/json")])
    }

    /// The latest checkpoint of each input topic among a partition's state records: the committed input offset it
    /// was written for, and per output topic where the outputs of later records may begin.
    static func checkpoints(in records: [KafkaRecord]) -> [String: (inputOffset: Int64, outputs: [String: Int64])] {
        var result: [String: (inputOffset: Int64, outputs: [String: Int64])] = [:]
        for record in records {
            guard let key = record.key, key.starts(with: Array("__checkpoint/".utf8)),
                case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let input)? = object["checkpoint"], case .object(let outputs)? = object["outputs"],
                case .number(let inputOffset)? = object["inputOffset"], let committed = inputOffset.integer
            else { continue }
            var offsets: [String: Int64] = [:]
            for member in outputs.members {
                if case .number(let number) = member.value, let offset = number.integer {
                    offsets[member.key] = Int64(offset)
                }
            }
            result[input] = (Int64(committed), offsets)
        }
        return result
    }

    /// Where a restore must check the state's tail against the output tails (see ``restore(partition:records:check:)``).
    struct TailCheck {
        /// The state partition's checkpoint (the lowest over the two inputs'): records from here on may reflect
        /// outputs that never landed; those before reflect only outputs that did.
        var stateTailStart: Int64
        /// Set when retention deleted the start of the SLA tail: the timestamp of its first record left (ms).
        var slaCompleteFrom: Int64?
        /// The status partition's committed offset: the status updates from here on will be read again.
        var statusReplayFrom: Int64
    }

    /// A status update that will be read again, with the referral's timers as they were before it was applied.
    private struct StatusReplay {
        var referralId: String
        var prior: ReferralTimers?
    }

    /// Per partition, by status offset: the status updates a restore found applied but not committed.
    private var statusReplays: [Int32: [Int64: StatusReplay]] = [:]

    /// Rebuilds a partition's state from its state-topic records (the last record of each key wins).
    ///
    /// With `check` (and the output ids already published set by ``setPublished(_:partition:)``), it also recovers
    /// SLA events whose state record landed without them. An event and the state record that marks it published go
    /// to different partitions, so either may land alone (the process is killed, or a revocation purges what was
    /// queued), and a state record alone would silence the event for good. Outputs hold the output checkpoints
    /// back until every output of their record (or timer batch) and of every earlier one is confirmed, so a state
    /// record before `stateTailStart` reflects only events that landed, and an event a later record implies either
    /// sits on the SLA partition's scanned tail, among the ids published, or never landed.
    /// - A warning or breach that never landed is returned, to publish again now (fired now, late, with its id),
    ///   whatever happened to its milestone since: it did fire. Published before any input record of the
    ///   partition, as a timer batch, it holds the partition's checkpoints back until it lands, so a crash before
    ///   then finds it missing again.
    /// - A `started`, `met` or `cancelled` never landed only if its status update was not committed: the update is
    ///   read again, and then its events are derived again from the timers as they were before it (remembered
    ///   here), without reopening anything.
    ///
    /// On a compacted state topic the referral's record before the tail may be gone (compaction keeps the last
    /// record of a key; the tail normally sits in its uncleaned active segment): its earlier warnings and breaches
    /// are then fired again, with their ids, at least once rather than never. Where retention deleted the start of
    /// the SLA tail, only warnings and breaches due since its first record left are checked.
    @discardableResult
    func restore(partition: Int32, records: [KafkaRecord], check: TailCheck? = nil) -> [OutputRecord] {
        var entries = self.partitions[partition] ?? [:]
        if !entries.isEmpty {
            // Every entry is scheduled again below: the partition's wake-ups scheduled before would stay as copies.
            self.forgetWakeUps(of: [partition])
        }
        // This restore's own records only: the timers of each referral's last record so far, and before the tail.
        var lastTimers: [String: ReferralTimers?] = [:]
        var beforeTail: [String: ReferralTimers?] = [:]
        // Every warning and breach a tail record of the referral says fired, in order (a later record may have the
        // milestone met, which no longer tells whether its breach fired).
        var tailFired: [String: [ReferralTimers.FiredEvent]] = [:]
        var replays: [Int64: StatusReplay] = [:]
        for record in records {
            guard case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let id)? = object["referralId"],
                case .string(let hashText)? = object["requestHash"], let hash = UInt64(hashText, radix: 16),
                case .string(let owner)? = object["ownerTeam"]
            else { continue }
            var entry = ReferralEntry(requestHash: hash, ownerTeam: owner)
            if case .string(let text)? = object["contentHash"] { entry.contentHash = UInt64(text, radix: 16) }
            if case .string(let text)? = object["status"] { entry.status = text }
            if case .string(let text)? = object["municipality"] { entry.municipality = text }
            if case .string(let text)? = object["schoolId"] { entry.schoolId = text }
            if case .number(let number)? = object["inputOffset"], let offset = number.integer, offset >= 0 {
                entry.inputOffset = Int64(offset)
            }
            if object["timers"] != nil, let timers = Self.decodeTimers(record.value) {
                entry.timers = timers
            }
            if let check {
                let earlier = lastTimers[id] ?? nil
                if record.offset >= check.stateTailStart {
                    if beforeTail[id] == nil { beforeTail[id] = .some(earlier) }
                    for event in entry.timers?.firedEvents ?? [] where tailFired[id]?.contains(event) != true {
                        tailFired[id, default: []].append(event)
                    }
                }
                // The first record of an update wins: a record of its earlier replay was made after it applied.
                if case .number(let number)? = object["statusOffset"], let offset = number.integer,
                    Int64(offset) >= check.statusReplayFrom, replays[Int64(offset)] == nil
                {
                    replays[Int64(offset)] = StatusReplay(referralId: id, prior: earlier)
                }
                lastTimers[id] = .some(entry.timers)
            }
            entries[id] = entry
        }
        self.account(self.partitions[partition], sign: -1)
        self.partitions[partition] = entries
        self.account(entries, sign: 1)
        self.statusReplays[partition] = replays.isEmpty ? nil : replays
        self.slaCompleteFrom[partition] = check?.slaCompleteFrom
        var republished: [OutputRecord] = []
        if let check {
            let now = self.clock()
            for (id, earlier) in beforeTail {
                guard let timers = entries[id]?.timers else { continue }
                let lost = self.unconfirmed(
                    tailFired[id] ?? [], of: timers, id: id, confirmed: earlier, partition: partition, check: check)
                guard !lost.isEmpty else { continue }
                let stamp = self.stamp(now, subject: id, traceparent: nil)
                republished += timers.republished(lost, at: now).map { self.slaRecord($0, stamp: stamp) }
            }
        }
        for (id, entry) in entries {
            self.schedule(entry, id: id, partition: partition)
        }
        return self.finish(republished, partition: partition)
    }

    /// Per partition, when a restore found the start of the SLA tail deleted by retention: its first record's time.
    private var slaCompleteFrom: [Int32: Int64] = [:]

    /// Forgets the status updates a restore expected to be read again, once the partition's backlog was read.
    func forgetStatusReplays(partition: Int32) {
        self.statusReplays.removeValue(forKey: partition)
    }

    /// Of the warnings and breaches the tail records say `fired`, those that neither `confirmed` (the referral's
    /// timers before the state tail) records nor the SLA tail holds.
    private func unconfirmed(
        _ fired: [ReferralTimers.FiredEvent], of timers: ReferralTimers, id: String, confirmed: ReferralTimers?,
        partition: Int32, check: TailCheck
    ) -> [ReferralTimers.FiredEvent] {
        let published = self.published[partition] ?? []
        let landed = Set(confirmed?.firedEvents ?? [])
        return fired.filter { event in
            // Retention deleted part of the SLA tail: only what fell due since its first record left can be told.
            if let from = check.slaCompleteFrom, (timers.scheduledMilliseconds(of: event) ?? Int64.min) < from {
                return false
            }
            guard !landed.contains(event) else { return false }
            let timerId = MilestoneTimer.timerId(referralId: id, milestone: event.milestone)
            let outputId = Self.slaEventId(timerId: timerId, kind: event.kind, threshold: event.threshold)
            return !published.contains(String(decoding: outputId, as: UTF8.self))
        }
    }

    /// Forgets the state of partitions given up (or about to be restored again), with their wake-ups: left in the
    /// heap until due, every rebalance of the range assignor (all partitions revoked and assigned again) added a
    /// second copy of each open referral's wake-up.
    func drop(partitions numbers: Set<Int32>) {
        guard !numbers.isEmpty else { return }
        for partition in numbers {
            self.account(self.partitions.removeValue(forKey: partition), sign: -1)
            self.published.removeValue(forKey: partition)
            self.publishedOwners.removeValue(forKey: partition)
            self.awaitingRequests.removeValue(forKey: partition)
            self.arrivedRequests.remove(partition)
            self.statusReplays.removeValue(forKey: partition)
            self.slaCompleteFrom.removeValue(forKey: partition)
        }
        self.forgetWakeUps(of: numbers)
    }

    private func forgetWakeUps(of partitions: Set<Int32>) {
        self.wakeUps = Heap(self.wakeUps.unordered.filter { !partitions.contains($0.partition) })
    }

    /// Wake-ups scheduled, stale ones included (for tests).
    var scheduledWakeUps: Int { self.wakeUps.count }

    // MARK: Loads and timer counts, kept as entries change
    //
    // Both used to be recounted over every referral held: the loads after each restored or dropped partition (a
    // rebalance of 32 partitions walked the whole state 32 times), the timer counts every two seconds on the poll
    // loop (a full walk of a million referrals). They now change with the entries, in time per entry.

    private static func isOpen(_ entry: ReferralEntry) -> Bool {
        entry.status != "closed" && entry.status != "withdrawn"
    }

    /// Replaces a referral's entry and moves its timers from the old entry's counts to the new one's.
    private func store(_ entry: ReferralEntry, id: String, partition: Int32, replacing previous: ReferralEntry?) {
        if let previous { self.countTimers(of: previous, sign: -1) }
        self.countTimers(of: entry, sign: 1)
        self.partitions[partition, default: [:]][id] = entry
    }

    /// Adds (`sign` 1) or removes (-1) a whole partition's entries to or from the loads and timer counts.
    private func account(_ entries: [String: ReferralEntry]?, sign: Int) {
        guard let entries else { return }
        for entry in entries.values {
            if Self.isOpen(entry) { self.changeLoad(entry.ownerTeam, by: sign) }
            self.countTimers(of: entry, sign: sign)
        }
    }

    private func changeLoad(_ team: String, by change: Int) {
        let load = self.loads[team, default: 0] + change
        self.loads[team] = load == 0 ? nil : load
    }

    private var timerTotals: [String: TimerCounts] = [:]

    private func countTimers(of entry: ReferralEntry, sign: Int) {
        guard let (team, counts) = Self.timerCounts(of: entry) else { return }
        var total = self.timerTotals[team, default: TimerCounts()]
        total.add(counts, sign: sign)
        self.timerTotals[team] = total == TimerCounts() ? nil : total
    }

    /// What one referral adds to its team's timer counts.
    private static func timerCounts(of entry: ReferralEntry) -> (team: String, counts: TimerCounts)? {
        guard let team = entry.timers?.teamId else { return nil }
        var counts = TimerCounts()
        // In place: a copy of the timers (and of each timer, by `for timer in`) retained all their strings.
        entry.timers?.timers.withUnsafeBufferPointer { timers in
            for index in timers.indices {
                switch timers[index].state {
                case .running:
                    counts.open += 1
                    if timers[index].warningsFired > 0 { counts.warned += 1 }
                case .breached:
                    counts.breached += 1
                default:
                    break
                }
            }
        }
        return (team, counts)
    }

    /// The loads and timer counts recounted from every entry, for tests of the running totals.
    func recount() -> (loads: [String: Int], timers: [String: TimerCounts]) {
        var loads: [String: Int] = [:]
        var timers: [String: TimerCounts] = [:]
        for entries in self.partitions.values {
            for entry in entries.values {
                if Self.isOpen(entry) { loads[entry.ownerTeam, default: 0] += 1 }
                guard let (team, counts) = Self.timerCounts(of: entry) else { continue }
                timers[team, default: TimerCounts()].add(counts)
            }
        }
        return (loads.filter { $0.value != 0 }, timers.filter { $0.value != TimerCounts() })
    }

    // MARK: Timers

    private let timerCodec = TimerStateWriter()

    private struct TimersEnvelope: Decodable {
        var timers: ReferralTimers
    }

    static func decodeTimers(_ bytes: [UInt8]) -> ReferralTimers? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try? decoder.decode(TimersEnvelope.self, from: Data(bytes)).timers
    }

    private func schedule(_ entry: ReferralEntry, id: String, partition: Int32) {
        guard let wake = entry.timers?.nextWakeUp else { return }
        self.wakeUps.insert(WakeUp(milliseconds: wake.epochMilliseconds, partition: partition, referralId: id))
    }

    /// The earliest instant any timer needs the clock.
    var nextWakeUp: Int64? {
        self.wakeUps.min?.milliseconds
    }

    /// Fires every warning and breach due by `now`, each once, and returns the SLA events with the state records
    /// that make them durable.
    func tick(now: Date, limit: Int = 2000) -> [OutputRecord] {
        let nowMilliseconds = now.epochMilliseconds
        var outputs: [OutputRecord] = []
        var referrals = 0
        // Bounded per call: after downtime many timers are overdue at once; the loop comes back for the rest.
        while referrals < limit, let first = self.wakeUps.min, first.milliseconds <= nowMilliseconds {
            referrals += 1
            _ = self.wakeUps.removeMin()
            guard let previous = self.partitions[first.partition]?[first.referralId], var timers = previous.timers,
                let wake = timers.nextWakeUp
            else { continue }
            var entry = previous
            // A stale entry (the timers changed since it was scheduled) is replaced by the current one.
            // A stale entry: every change to the timers scheduled the current wake-up already.
            guard wake.epochMilliseconds == first.milliseconds else { continue }
            if case .publish(let events) = timers.clockAdvanced(to: now) {
                let stamp = self.stamp(now, subject: first.referralId, traceparent: nil)
                outputs += self.finish(events.map { self.slaRecord($0, stamp: stamp) }, partition: first.partition)
            }
            entry.timers = timers
            self.store(entry, id: first.referralId, partition: first.partition, replacing: previous)
            self.schedule(entry, id: first.referralId, partition: first.partition)
            outputs += self.finish(
                [self.stateRecord(first.referralId, entry, partition: first.partition, now: now)],
                partition: first.partition)
        }
        return outputs
    }

    /// Open timers, warnings fired and breaches per team (counts only), for `/status` and metrics.
    func timerCounts() -> [String: TimerCounts] {
        self.timerTotals
    }

    /// - Parameter key: the referral id's bytes, when the caller has them already.
    private func slaRecord(_ event: SLAEvent, stamp: EventStamp, key: [UInt8]? = nil) -> OutputRecord {
        var json = JSONWriter(capacity: 320)
        json.beginObject()
        json.field("referralId", event.referralId)
        json.field("timerId", event.timerId)
        json.field("policy", event.policyId)
        json.field("milestone", event.milestone)
        json.field("event", event.kind.rawValue)
        // Written straight into the record: these two run for every SLA event.
        json.field("dueAt", ascii: LocalRFC3339.maximumLength) { LocalRFC3339.write(event.dueAt, into: $0) }
        json.field("at", ascii: LocalRFC3339.maximumLength) { LocalRFC3339.write(event.at, into: $0) }
        json.field("teamId", event.teamId)
        if let threshold = event.threshold {
            json.key("threshold")
            json.raw(Array(String(threshold).utf8))
        }
        if let lateBy = event.lateBy {
            json.field("lateBy", Int(lateBy.rounded()))
        }
        json.field("status", event.status?.rawValue)
        json.endObject()
        let id = Self.slaEventId(timerId: event.timerId, kind: event.kind, threshold: event.threshold)
        // The stamp's subject is this event's referral (every caller stamps per referral).
        return OutputRecord(
            id: id, topic: self.topics.sla, partition: nil, key: key ?? Array(event.referralId.utf8), value: json.finish(),
            sharedHeaders: self.slaHeaders[Self.slot(of: event.kind)], eventHeaders: stamp.headers,
            idHeaderNames: OutputRecord.cloudEventIdHeaders)
    }

    /// An SLA event's output id: `<timerId>/<event>`, with `/<threshold>` for a warning.
    static func slaEventId(timerId: String, kind: SLAEvent.Kind, threshold: Double?) -> [UInt8] {
        threshold.map { Self.outputId(timerId, "/", "\(kind.rawValue)/\($0)") } ?? Self.outputId(timerId, "/", kind.rawValue)
    }

    // MARK: Helpers

    /// What the records of one event share: its time (RFC 3339) and the CloudEvents (Kafka binary mode) headers
    /// every one of them carries after its kind's ``OutputRecord/sharedHeaders``: `ce_time`, `ce_subject` and the
    /// input's `traceparent` (one array for all of them: ``OutputRecord/eventHeaders``; each record's `ce_id` is its
    /// output id, ``OutputRecord/cloudEventIdHeaders``).
    struct EventStamp {
        var timeText: String
        var headers: [KafkaHeader]
    }

    /// - Parameter subjectBytes: the subject's UTF-8 bytes, when the caller has them already (a record key).
    func stamp(_ time: Date, subject: String?, subjectBytes: [UInt8]? = nil, traceparent: KafkaHeader?) -> EventStamp {
        let text = RFC3339.format(time)
        var headers: [KafkaHeader] = []
        headers.reserveCapacity(3)
        headers.append(KafkaHeader(key: "ce_time", string: text))
        if let subject {
            headers.append(KafkaHeader(key: "ce_subject", value: subjectBytes ?? Array(subject.utf8)))
        }
        if let traceparent {
            headers.append(traceparent)
        }
        return EventStamp(timeText: text, headers: headers)
    }

    /// The UTF-8 bytes of an output id made of `base`, `separator` and `suffix`, in one allocation (an output id is
    /// made for nearly every output).
    static func outputId(_ base: String, _ separator: StaticString, _ suffix: String = "") -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(base.utf8.count + separator.utf8CodeUnitCount + suffix.utf8.count)
        // Copied from where the texts lie (appending a `String.UTF8View` retained the text around the copy).
        base.withUTF8InPlace { bytes.append(contentsOf: $0) }
        separator.withUTF8Buffer { bytes.append(contentsOf: $0) }
        suffix.withUTF8InPlace { bytes.append(contentsOf: $0) }
        return bytes
    }

    // Headers that are the same on many records are built once (their bytes are shared, not copied).
    private static let specVersionHeader = KafkaHeader(key: "ce_specversion", string: "1.0")
    private static let contentTypeHeader = KafkaHeader(key: "content-type", string: "application/json")
    /// Each kind of record's shared CloudEvents headers (``OutputRecord/sharedHeaders``), built once.
    private let assignmentHeaders: [KafkaHeader]
    private let consultationHeaders: [KafkaHeader]
    private let rejectionHeaders: [KafkaHeader]
    /// The shared headers of each kind of SLA event, at its ``slot(of:)``: found without hashing the kind (a lookup
    /// per SLA event).
    private let slaHeaders: [[KafkaHeader]]

    private static func slot(of kind: SLAEvent.Kind) -> Int {
        switch kind {
        case .started: 0
        case .warning: 1
        case .breached: 2
        case .met: 3
        case .cancelled: 4
        }
    }

    /// The headers every CloudEvent of one type carries.
    private static func sharedHeaders(source: KafkaHeader, type: KafkaHeader, schema: KafkaHeader) -> [KafkaHeader] {
        [Self.specVersionHeader, source, type, schema, Self.contentTypeHeader]
    }
    static let assignmentType = KafkaHeader(key: "ce_type", string: "fi.referral.assignment.v1")
    static let consultationType = KafkaHeader(key: "ce_type", string: "fi.referral.consultation.v1")
    static let rejectionType = KafkaHeader(key: "ce_type", string: "fi.referral.rejection.v1")
    static let slaTypes: [SLAEvent.Kind: KafkaHeader] = Dictionary(
        uniqueKeysWithValues: SLAEvent.Kind.allCases.map { ($0, KafkaHeader(key: "ce_type", string: "fi.referral.sla.\($0.rawValue).v1")) })
    static let assignmentSchema = KafkaHeader(key: "ce_dataschema", string: "urn:referral-router:schema:assignment.v1")
    static let consultationSchema = KafkaHeader(key: "ce_dataschema", string: "urn:referral-router:schema:consultation.v1")
    static let rejectionSchema = KafkaHeader(key: "ce_dataschema", string: "urn:referral-router:schema:rejection.v1")
    static let slaSchema = KafkaHeader(key: "ce_dataschema", string: "urn:referral-router:schema:sla-event.v1")

    /// The input's W3C `traceparent`, passed to the outputs only when well-formed (`00-<32 hex>-<16 hex>-<2 hex>`):
    /// a hostile header value is never copied into every output.
    static func traceparent(_ record: KafkaRecord) -> KafkaHeader? {
        guard let header = record.headers.first(where: { $0.key == "traceparent" }), let value = header.value,
            value.count == 55
        else { return nil }
        let isHex: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        for (index, byte) in value.enumerated() {
            let dash = index == 2 || index == 35 || index == 52
            if dash ? byte != UInt8(ascii: "-") : !isHex(byte) { return nil }
        }
        return header
    }

    /// The request hash as first defined (the state record's `requestHash`; see ``requestHashes(_:)``).
    static func requestHash(_ request: ReferralRequest) -> UInt64 {
        Self.requestHashes(request).legacy
    }

    /// Stable hashes of a request's content (FNV-1a over its validated fields), so that a byte-for-byte different
    /// but equal retry is recognised as the same request, and a different request under the same id is not.
    ///
    /// `legacy` is the formula of versions before 2026-12-07, without `source.unit` and `source.professionalRole`
    /// (a request that changed only those counted as a repeat) and with the concerns in the order given;
    /// `current` takes the concerns in code order and continues over those two. A decision
    /// stores both (`requestHash`, `contentHash`) and is matched by `current` when it has it, by `legacy` when it
    /// was stored before. Both are stored in the state topic: neither formula may ever change.
    static func requestHashes(_ request: ReferralRequest) -> (current: UInt64, legacy: UInt64) {
        var hash = FNV1a()
        hash.mix(request.type.rawValue)
        hash.mix(request.id)
        hash.mix(String(request.submittedAt.timeIntervalSince1970))
        hash.mix(request.source.system)
        hash.mix(request.client.ref)
        if let age = request.client.ageYears { hash.mix(String(age)) } else { hash.mixAbsent() }
        hash.mix(request.client.municipality)
        hash.mix(request.client.postalCode)
        hash.mix(request.client.language)
        hash.mix(request.client.schoolId)
        // The same bytes as the comma-joined list, without building it (the hash is stored in the state topic:
        // it must never change). The current hash takes the concerns in code order: they are a set, and a retry
        // that lists them in another order is the same request.
        var current = hash
        func mixConcerns(_ concerns: UnsafeBufferPointer<Concern>, into hash: inout FNV1a) {
            for index in concerns.indices {
                if index > 0 { hash.bytes(",") }
                hash.bytes(concerns[index].rawValue)
            }
            hash.end()
        }
        let inOrder = request.need.concerns.withUnsafeBufferPointer { concerns in
            mixConcerns(concerns, into: &hash)
            return zip(concerns, concerns.dropFirst()).allSatisfy { $0.rawValue < $1.rawValue }
        }
        func mixRest(into hash: inout FNV1a) {
            hash.mix(request.need.urgency.rawValue)
            hash.mix(request.need.severity.rawValue)
            if let consultation = request.consultation {
                hash.mix(consultation.caseOwnerTeam)
                hash.mix(consultation.requestedUnitType?.rawValue)
                hash.mix(consultation.question)
            } else {
                hash.mixAbsent()
                hash.mixAbsent()
                hash.mixAbsent()
            }
            hash.mix(request.notes)
        }
        mixRest(into: &hash)
        let legacy = hash.value
        if inOrder {
            // Usually: the two agree so far, and the rest is not hashed twice.
            current = hash
        } else {
            request.need.concerns.sorted { $0.rawValue < $1.rawValue }.withUnsafeBufferPointer { mixConcerns($0, into: &current) }
            mixRest(into: &current)
        }
        current.mix(request.source.unit)
        current.mix(request.source.professionalRole)
        return (current.value, legacy)
    }

    /// Whether a decided request is the one `hashes` describe (see ``requestHashes(_:)``).
    private static func sameRequest(_ entry: ReferralEntry, _ hashes: (current: UInt64, legacy: UInt64)) -> Bool {
        if let contentHash = entry.contentHash { return contentHash == hashes.current }
        return entry.requestHash == hashes.legacy
    }

    /// FNV-1a over texts, each followed by 0xFF; an absent text hashes as the single byte 0x01.
    private struct FNV1a {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        @inline(__always)
        mutating func bytes(_ text: String) {
            text.withUTF8InPlace { utf8 in
                var hash = self.value
                for byte in utf8 {
                    hash ^= UInt64(byte)
                    hash &*= 0x100_0000_01b3
                }
                self.value = hash
            }
        }

        @inline(__always)
        mutating func end() {
            self.value ^= 0xff
            self.value &*= 0x100_0000_01b3
        }

        @inline(__always)
        mutating func mix(_ text: String?) {
            if let text { self.bytes(text) } else { self.bytes("\u{1}") }
            self.end()
        }

        @inline(__always)
        mutating func mixAbsent() {
            self.bytes("\u{1}")
            self.end()
        }
    }
}
