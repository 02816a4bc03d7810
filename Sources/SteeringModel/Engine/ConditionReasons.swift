import Synchronization

/// The trace texts of rules, remembered: why a condition does not hold for requests like this one, and what a
/// matched rule sends to.
///
/// A referral is traced against every owner rule up to the first match and against every consultation rule, so
/// most of its trace says why a rule does not apply. Building those texts was a quarter of the allocations of
/// deciding. A condition's outcome and text depend only on the request values its clauses read (``RequestFeatures``
/// narrowed to the condition), so each text is built once per rule and such values, then shared. At most
/// ``capacity`` texts are kept; beyond that they are built per decision as before.
final class ConditionReasons: Sendable {
    static let capacity = 16_384

    /// A rule, by its list and position in that list.
    struct RuleKey: Hashable {
        var list: Decision.TraceKind
        var index: Int
    }

    private struct MatchKey: Hashable {
        var rule: RuleKey
        var unitType: UnitType
        var teamId: String?
        /// The client's language when no team of the unit works in it (the text says so).
        var unmatchedLanguage: String?
    }

    /// What each rule's condition reads, by list number (owner, consultation, consultation request rules): an array,
    /// since it is read for every rule of every decision (a dictionary hashed the list each time).
    private let reads: [[ConditionReads]]
    private let failures = Mutex<[UInt64: Decision.TraceEntry]>([:])
    private let matches = Mutex<[MatchKey: Decision.TraceEntry]>([:])

    init(rules: RulesConfiguration) {
        // In the order of `listNumber`; resolution entries have no rules.
        self.reads = [
            rules.ownerRules.map { ConditionReads($0.when) },
            rules.consultationRules.map { ConditionReads($0.when) },
            rules.consultationRequestRules.map { ConditionReads($0.when) },
            [],
        ]
    }

    /// The trace entry of a rule whose condition does not hold for this request; `make` builds its text.
    func failure(_ rule: RuleKey, ruleId: String, _ features: RequestFeatures, make: () -> String) -> Decision.TraceEntry {
        let reads = self.reads[Self.listNumber(rule.list)]
        guard rule.index < reads.count, rule.index < 256,
            let narrowed = features.key(reading: reads[rule.index])
        else { return Decision.TraceEntry(kind: rule.list, ruleId: ruleId, matched: false, reason: make()) }
        let key = narrowed << 10 | UInt64(rule.index) << 2 | UInt64(Self.listNumber(rule.list))
        return Self.remembered(key, in: self.failures) {
            Decision.TraceEntry(kind: rule.list, ruleId: ruleId, matched: false, reason: make())
        }
    }

    /// The trace entry of a matched rule: its reason, the unit type and (for consultations) the team.
    func match(
        _ rule: RuleKey, ruleId: String, unitType: UnitType, teamId: String?, unmatchedLanguage: String? = nil,
        make: () -> String
    ) -> Decision.TraceEntry {
        let key = MatchKey(rule: rule, unitType: unitType, teamId: teamId, unmatchedLanguage: unmatchedLanguage)
        return Self.remembered(key, in: self.matches) {
            Decision.TraceEntry(kind: rule.list, ruleId: ruleId, matched: true, reason: make())
        }
    }

    /// The entry remembered under `key`, or the one `make` builds (remembered, with its JSON, while there is room).
    private static func remembered<Key: Hashable & Sendable>(
        _ key: Key,
        in entries: borrowing Mutex<[Key: Decision.TraceEntry]>,
        make: () -> Decision.TraceEntry
    ) -> Decision.TraceEntry {
        let (known, full) = entries.withLock { ($0[key], $0.count >= Self.capacity) }
        if let known { return known }
        let entry = make()
        guard !full else { return entry }
        let rendered = entry.rendered()
        entries.withLock { entries in
            if entries.count < Self.capacity { entries[key] = rendered }
        }
        return rendered
    }

    /// How many failure texts are remembered (for tests: the keys must stay narrow for the memo to serve).
    var rememberedFailures: Int {
        self.failures.withLock { $0.count }
    }

    static func listNumber(_ list: Decision.TraceKind) -> Int {
        switch list {
        case .owner: 0
        case .consultation: 1
        case .consultationRequest: 2
        case .resolution: 3
        }
    }
}

/// Which request values a condition (with its alternatives) reads.
struct ConditionReads: Equatable {
    var type = false
    var urgency = false
    var severity = false
    /// The bits of the concerns it names.
    var concerns: UInt32 = 0
    var age = false
    var school = false

    init(_ condition: RuleCondition) {
        self.type = condition.type != nil
        self.urgency = condition.urgency != nil
        self.severity = condition.severity != nil
        for concern in condition.concerns ?? [] {
            self.concerns |= concern.bit
        }
        self.age = condition.ages != nil
        self.school = condition.hasSchool != nil
        for alternative in condition.anyOf ?? [] {
            let reads = ConditionReads(alternative)
            self.type = self.type || reads.type
            self.urgency = self.urgency || reads.urgency
            self.severity = self.severity || reads.severity
            self.concerns |= reads.concerns
            self.age = self.age || reads.age
            self.school = self.school || reads.school
        }
    }
}

/// Every request value a rule condition reads (``SteeringEngine/evaluate(_:_:)``): two requests with equal features
/// meet every condition alike and are told the same reasons.
struct RequestFeatures {
    var type: RequestType
    var urgency: Urgency
    var severity: Severity
    /// One bit per ``Concern`` named.
    var concerns: UInt32
    var age: Int?
    var hasSchool: Bool

    init(_ request: ReferralRequest) {
        self.type = request.type
        self.urgency = request.need.urgency
        self.severity = request.need.severity
        var concerns: UInt32 = 0
        for concern in request.need.concerns {
            concerns |= concern.bit
        }
        self.concerns = concerns
        self.age = request.client.ageYears
        self.hasSchool = request.client.schoolId != nil
    }

    /// The features a condition reads, packed into 35 bits (a value it does not read is 0); `nil` for an age that
    /// does not fit.
    func key(reading reads: ConditionReads) -> UInt64? {
        var key: UInt64 = 0
        // Each enumerated value as its bit's position + 1: 1 or 2, 1 to 5, 1 to 3.
        if reads.type { key |= UInt64(self.type.bit.trailingZeroBitCount + 1) }
        if reads.urgency { key |= UInt64(self.urgency.bit.trailingZeroBitCount + 1) << 2 }
        if reads.severity { key |= UInt64(self.severity.bit.trailingZeroBitCount + 1) << 5 }
        key |= UInt64(self.concerns & reads.concerns) << 7
        if reads.age {
            // 1 for an unknown age, 2 + the age otherwise.
            if let age = self.age {
                guard age >= 0, age < 1000 else { return nil }
                key |= UInt64(age + 2) << 23
            } else {
                key |= 1 << 23
            }
        }
        if reads.school { key |= UInt64(self.hasSchool ? 1 : 2) << 33 }
        return key
    }
}

// A distinct bit per value of each enumeration a condition reads (for ``RequestFeatures`` and
// ``CompiledConditions``).

extension RequestType {
    var bit: UInt8 {
        switch self {
        case .referral: 1 << 0
        case .consultation: 1 << 1
        }
    }
}

extension Urgency {
    var bit: UInt8 {
        switch self {
        case .emergency: 1 << 0
        case .urgent: 1 << 1
        case .newConcern: 1 << 2
        case .ongoingSupport: 1 << 3
        case .prevention: 1 << 4
        }
    }
}

extension Severity {
    var bit: UInt8 {
        switch self {
        case .mild: 1 << 0
        case .moderate: 1 << 1
        case .severe: 1 << 2
        }
    }
}

extension Concern {
    var bit: UInt32 {
        switch self {
        case .parenting: 1 << 0
        case .coupleRelationship: 1 << 1
        case .separation: 1 << 2
        case .pregnancyInfancy: 1 << 3
        case .financialHardship: 1 << 4
        case .immigrantFamily: 1 << 5
        case .neuropsychiatric: 1 << 6
        case .mentalHealth: 1 << 7
        case .substanceUse: 1 << 8
        case .domesticViolence: 1 << 9
        case .bullying: 1 << 10
        case .schoolAbsence: 1 << 11
        case .learningDifficulties: 1 << 12
        case .schoolWellbeing: 1 << 13
        case .childProtection: 1 << 14
        case .disability: 1 << 15
        }
    }
}
