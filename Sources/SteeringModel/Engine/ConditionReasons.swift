import Synchronization

/// The trace texts of rules, remembered: why a condition does not hold for requests like this one, and what a
/// matched rule sends to.
///
/// A referral is traced against every owner rule up to the first match and against every consultation rule, so
/// most of its trace says why a rule does not apply. Building those texts was a quarter of the allocations of
/// deciding. A condition's outcome and text depend on nothing but the request's ``RequestFeatures``, so each text
/// is built once per rule and features and then shared. At most ``capacity`` texts are kept; beyond that they are
/// built per decision as before, so hostile input cannot grow the memory.
final class ConditionReasons: Sendable {
    static let capacity = 16_384

    /// A rule, by its list and position in that list.
    struct RuleKey: Hashable {
        var list: Decision.TraceKind
        var index: Int
    }

    private struct FailureKey: Hashable {
        var rule: RuleKey
        var features: RequestFeatures
    }

    private struct MatchKey: Hashable {
        var rule: RuleKey
        var unitType: UnitType
        var teamId: String?
    }

    private struct Texts {
        var failures: [FailureKey: String] = [:]
        var matches: [MatchKey: String] = [:]
    }

    private let texts = Mutex(Texts())

    /// Why the rule's condition does not hold for a request with these features; `make` builds the text.
    func failure(_ rule: RuleKey, _ features: RequestFeatures, make: () -> String) -> String {
        let key = FailureKey(rule: rule, features: features)
        if let text = self.texts.withLock({ $0.failures[key] }) { return text }
        let text = make()
        self.texts.withLock { texts in
            if texts.failures.count < Self.capacity { texts.failures[key] = text }
        }
        return text
    }

    /// What a matched rule says: its reason, the unit type and (for consultations) the team.
    func match(_ rule: RuleKey, unitType: UnitType, teamId: String?, make: () -> String) -> String {
        let key = MatchKey(rule: rule, unitType: unitType, teamId: teamId)
        if let text = self.texts.withLock({ $0.matches[key] }) { return text }
        let text = make()
        self.texts.withLock { texts in
            if texts.matches.count < Self.capacity { texts.matches[key] = text }
        }
        return text
    }
}

/// Everything of a request that a rule condition reads (``SteeringEngine/evaluate(_:_:)``): two requests with equal
/// features meet every condition alike and are told the same reasons.
struct RequestFeatures: Hashable {
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
}

extension Concern {
    /// A distinct bit per concern (for ``RequestFeatures``).
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
