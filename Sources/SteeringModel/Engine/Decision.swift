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
    ///
    /// A class, immutable: most entries are remembered by the engine and shared by many decisions, and a decision's
    /// trace is copied into its outputs; as a structure of three references each copy retained and released all
    /// three.
    public final class TraceEntry: Sendable, Hashable {
        public let kind: TraceKind
        public let ruleId: String
        public let matched: Bool
        public let reason: String
        /// The entry as ``write(into:)`` writes it, kept with an entry the engine remembers (most of a trace says
        /// why a rule does not apply, in the same words for many requests): an assignment then copies these bytes
        /// instead of writing the four members again. `nil` for an entry made for one decision. Not part of the
        /// entry's identity: equality and hashing compare the four members only (an entry is the same whether or
        /// not it was remembered).
        public let json: [UInt8]?

        public static func == (lhs: TraceEntry, rhs: TraceEntry) -> Bool {
            lhs.kind == rhs.kind && lhs.ruleId == rhs.ruleId && lhs.matched == rhs.matched && lhs.reason == rhs.reason
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.kind)
            hasher.combine(self.ruleId)
            hasher.combine(self.matched)
            hasher.combine(self.reason)
        }

        public convenience init(kind: TraceKind, ruleId: String, matched: Bool, reason: String) {
            self.init(kind: kind, ruleId: ruleId, matched: matched, reason: reason, json: nil)
        }

        private init(kind: TraceKind, ruleId: String, matched: Bool, reason: String, json: [UInt8]?) {
            self.kind = kind
            self.ruleId = ruleId
            self.matched = matched
            self.reason = reason
            self.json = json
        }

        /// The entry with its JSON rendered, for remembering.
        func rendered() -> TraceEntry {
            var json = JSONWriter(capacity: 96 + self.ruleId.utf8.count + self.reason.utf8.count)
            self.writeMembers(into: &json)
            return TraceEntry(
                kind: self.kind, ruleId: self.ruleId, matched: self.matched, reason: self.reason, json: json.finish())
        }

        /// Writes the entry as the JSON object an assignment's trace carries: `kind`, `ruleId`, `matched`, `reason`.
        public func write(into json: inout JSONWriter) {
            if let rendered = self.json {
                json.raw(rendered)
            } else {
                self.writeMembers(into: &json)
            }
        }

        private func writeMembers(into json: inout JSONWriter) {
            json.beginObject()
            json.field("kind", self.kind.rawValue)
            json.field("ruleId", self.ruleId)
            json.field("matched", self.matched)
            json.field("reason", self.reason)
            json.endObject()
        }
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
