/// What the steering model decided for one valid request, and why.
public struct Decision: Sendable, Hashable {
    /// The team that owns the case (for a consultation request: the unit that must answer it).
    public struct Owner: Sendable, Hashable {
        public var level: ServiceLevel
        public var unitType: UnitType
        public var teamId: String
        public var teamName: String
        /// The family-centre area the team was chosen by, when it was chosen by area.
        public var area: String?
        public var regionId: String
        /// Why the case went to the region's triage team instead of the rule's unit type; `nil` when it did not.
        public var triageReason: String?
    }

    /// A specialist unit asked to support the owner.
    public struct Consultation: Sendable, Hashable {
        public var unitType: UnitType
        public var teamId: String
        public var teamName: String
        public var ruleId: String
        public var reason: String
    }

    public enum TraceKind: String, Sendable, Hashable {
        case owner
        case consultation
        case consultationRequest = "consultation_request"
        case resolution
    }

    /// One rule considered or one step of team resolution.
    public struct TraceEntry: Sendable, Hashable {
        public var kind: TraceKind
        public var ruleId: String
        public var matched: Bool
        public var reason: String
    }

    public var requestId: String
    public var type: RequestType
    public var owner: Owner
    public var consultations: [Consultation]
    /// The SLA policy the owner rule starts.
    public var slaPolicy: String?
    /// The rule that set the owner (or `requested` when a consultation request named its unit type).
    public var ownerRuleId: String
    public var requestedLanguage: String
    /// Whether the owner team works in the client's language.
    public var languageMatched: Bool
    public var trace: [TraceEntry]
    public var steeringModelVersion: String
}
