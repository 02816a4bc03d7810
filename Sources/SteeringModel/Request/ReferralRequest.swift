import struct Foundation.Date

/// A validated referral or consultation request.
///
/// - Important: `client.ref`, `notes` and `consultation.question` are personal data. They travel to the team
///   that needs them and are never written to logs, metrics or the status endpoint.
public struct ReferralRequest: Sendable, Hashable {
    public struct Source: Sendable, Hashable {
        public var system: String
        public var unit: String?
        public var professionalRole: String?

        public init(system: String, unit: String? = nil, professionalRole: String? = nil) {
            self.system = system
            self.unit = unit
            self.professionalRole = professionalRole
        }
    }

    public struct Client: Sendable, Hashable {
        /// A pseudonymous reference; `nil` only for anonymous consultations.
        public var ref: String?
        public var ageYears: Int?
        public var municipality: String?
        public var postalCode: String?
        /// ISO 639-1; ``defaultLanguage`` when the request names none.
        public var language: String
        public var schoolId: String?

        /// The language of a request that names none.
        public static let defaultLanguage = "fi"

        public init(
            ref: String? = nil,
            ageYears: Int? = nil,
            municipality: String? = nil,
            postalCode: String? = nil,
            language: String = Client.defaultLanguage,
            schoolId: String? = nil
        ) {
            self.ref = ref
            self.ageYears = ageYears
            self.municipality = municipality
            self.postalCode = postalCode
            self.language = language
            self.schoolId = schoolId
        }
    }

    public struct Need: Sendable, Hashable {
        public var concerns: [Concern]
        public var urgency: Urgency
        public var severity: Severity

        public init(concerns: [Concern], urgency: Urgency, severity: Severity) {
            self.concerns = concerns
            self.urgency = urgency
            self.severity = severity
        }

        public func has(_ concern: Concern) -> Bool {
            self.concerns.contains(concern)
        }
    }

    public struct Consultation: Sendable, Hashable {
        public var caseOwnerTeam: String?
        public var requestedUnitType: UnitType?
        public var question: String?

        public init(caseOwnerTeam: String? = nil, requestedUnitType: UnitType? = nil, question: String? = nil) {
            self.caseOwnerTeam = caseOwnerTeam
            self.requestedUnitType = requestedUnitType
            self.question = question
        }
    }

    public var type: RequestType
    public var id: String
    public var submittedAt: Date
    public var source: Source
    public var client: Client
    public var need: Need
    public var consultation: Consultation?
    public var notes: String?

    public init(
        type: RequestType,
        id: String,
        submittedAt: Date,
        source: Source,
        client: Client,
        need: Need,
        consultation: Consultation? = nil,
        notes: String? = nil
    ) {
        self.type = type
        self.id = id
        self.submittedAt = submittedAt
        self.source = source
        self.client = client
        self.need = need
        self.consultation = consultation
        self.notes = notes
    }

    /// A consultation without a client reference: a professional asks before any client relationship exists.
    public var isAnonymous: Bool {
        self.client.ref == nil
    }
}

/// A progress report from the team that owns a case.
public struct StatusUpdate: Sendable, Hashable {
    public var referralId: String
    public var status: CaseStatus
    public var at: Date
    /// The team reporting.
    public var team: String?
    /// For `reassigned`: the team that owns the case from now on.
    public var newTeam: String?

    public init(referralId: String, status: CaseStatus, at: Date, team: String? = nil, newTeam: String? = nil) {
        self.referralId = referralId
        self.status = status
        self.at = at
        self.team = team
        self.newTeam = newTeam
    }
}
