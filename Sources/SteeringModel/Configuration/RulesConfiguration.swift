/// The decision table, as written in `config/steering/rules.yaml`.
///
/// Owner rules use hit policy FIRST (the first match sets the owner); consultation rules use hit policy COLLECT
/// (every match asks for a consultation); consultation-request rules (FIRST) infer the specialist unit for a
/// consultation request that names none.
public struct RulesConfiguration: Sendable, Hashable, Codable {
    /// The region whose triage team owns requests that no region can be found for.
    public var fallbackRegion: String
    public var ownerRules: [Rule]
    public var consultationRules: [Rule]
    public var consultationRequestRules: [Rule]
    /// The SLA policy of consultation requests (the specialist's response time).
    public var consultationPolicy: String?

    public init(
        fallbackRegion: String,
        ownerRules: [Rule],
        consultationRules: [Rule],
        consultationRequestRules: [Rule],
        consultationPolicy: String? = nil
    ) {
        self.fallbackRegion = fallbackRegion
        self.ownerRules = ownerRules
        self.consultationRules = consultationRules
        self.consultationRequestRules = consultationRequestRules
        self.consultationPolicy = consultationPolicy
    }
}

/// One row of a decision table: a condition, the unit type it sends to, and the SLA policy it starts.
public struct Rule: Sendable, Hashable, Codable {
    public var id: String
    /// A human reason, shown in the decision trace.
    public var reason: String
    public var when: RuleCondition
    /// The unit type, when it does not depend on age.
    public var unitType: UnitType?
    /// Unit types by age, when it does; the first branch whose ages contain the client's age applies.
    public var byAge: [AgeBranch]?
    /// The SLA policy this rule starts (owner rules).
    public var sla: String?

    public struct AgeBranch: Sendable, Hashable, Codable {
        public var ages: AgeRange
        public var unitType: UnitType
        /// Overrides the rule's policy for this branch.
        public var sla: String?

        public init(ages: AgeRange, unitType: UnitType, sla: String? = nil) {
            self.ages = ages
            self.unitType = unitType
            self.sla = sla
        }
    }

    public init(
        id: String,
        reason: String,
        when: RuleCondition = RuleCondition(),
        unitType: UnitType? = nil,
        byAge: [AgeBranch]? = nil,
        sla: String? = nil
    ) {
        self.id = id
        self.reason = reason
        self.when = when
        self.unitType = unitType
        self.byAge = byAge
        self.sla = sla
    }

    /// Every unit type the rule can name.
    public var unitTypes: [UnitType] {
        if let unitType { return [unitType] }
        return (self.byAge ?? []).map(\.unitType)
    }
}

/// The condition of a rule. Every member that is present must hold (AND); `anyOf` holds when one of its
/// conditions does (OR). An empty condition always holds.
public struct RuleCondition: Sendable, Hashable, Codable {
    public var type: [RequestType]?
    public var urgency: [Urgency]?
    public var severity: [Severity]?
    /// Holds when the request names at least one of these concerns.
    public var concerns: [Concern]?
    public var ages: AgeRange?
    /// Holds when whether the client names a school equals this.
    public var hasSchool: Bool?
    public var anyOf: [RuleCondition]?

    public init(
        type: [RequestType]? = nil,
        urgency: [Urgency]? = nil,
        severity: [Severity]? = nil,
        concerns: [Concern]? = nil,
        ages: AgeRange? = nil,
        hasSchool: Bool? = nil,
        anyOf: [RuleCondition]? = nil
    ) {
        self.type = type
        self.urgency = urgency
        self.severity = severity
        self.concerns = concerns
        self.ages = ages
        self.hasSchool = hasSchool
        self.anyOf = anyOf
    }

    public var isEmpty: Bool {
        self == RuleCondition()
    }
}
