import Foundation
import SteeringModel

/// Realistic synthetic traffic for the demo, the benchmark and the tests: referrals and consultations that
/// exercise every rule of the shipped configuration, invalid records of every error class, repeated ids, and
/// status updates for referrals already sent. Deterministic for a seed.
public struct SyntheticTraffic: Sendable {
    public enum Kind: String, Sendable, Hashable {
        case valid
        case invalid
        case duplicate
        case status
    }

    public struct Record: Sendable {
        public var kind: Kind
        /// `true` for the requests topic, `false` for the status topic.
        public var isRequest: Bool
        public var key: [UInt8]?
        public var value: [UInt8]
        /// For valid requests and duplicates: the request id.
        public var id: String?
        /// For invalid records: the error code the router must report.
        public var expectedCode: String?

        public init(kind: Kind, isRequest: Bool, key: [UInt8]?, value: [UInt8], id: String?, expectedCode: String? = nil) {
            self.kind = kind
            self.isRequest = isRequest
            self.key = key
            self.value = value
            self.id = id
            self.expectedCode = expectedCode
        }
    }

    private var rng: Generator
    private var counter = 0
    private var sent: [(id: String, value: [UInt8])] = []
    public var invalidShare: Double
    public var duplicateShare: Double
    public var statusShare: Double
    private let prefix: String

    public init(seed: UInt64, prefix: String = "demo", invalidShare: Double = 0.05, duplicateShare: Double = 0.03, statusShare: Double = 0.1) {
        self.rng = Generator(state: seed)
        self.prefix = prefix
        self.invalidShare = invalidShare
        self.duplicateShare = duplicateShare
        self.statusShare = statusShare
    }

    static let municipalities = ["398", "398", "398", "111", "098", "016", "081", "142", "316", "560", "576", "781", "257"]
    static let lahtiPostalCodes = ["15100", "15140", "15210", "15320", "15560", "15610", "15850", "15990"]
    static let schools = ["ph-school-jalkaranta", "ph-school-kivimaa", "ph-school-heinola", "ph-school-asikkala", "lu-school-winellska"]
    static let invalidCodes = [
        "malformed_json", "invalid_utf8", "not_an_object", "missing_field", "wrong_type", "bad_id", "bad_timestamp",
        "unknown_enum_value", "unknown_concern", "duplicate_concern", "concern_count", "age_out_of_range",
        "bad_municipality_format", "bad_postal_code", "bad_language", "personal_identity_code", "text_too_long",
        "too_deeply_nested", "duplicate_member", "id_conflict",
    ]

    /// The next record.
    public mutating func next(submittedAt: Date = Date()) -> Record {
        let roll = self.rng.unit()
        if roll < self.statusShare, let sent = self.sent.randomElement(using: &self.rng) {
            return self.statusUpdate(for: sent.id, at: submittedAt)
        }
        if roll < self.statusShare + self.duplicateShare, let sent = self.sent.randomElement(using: &self.rng) {
            return Record(kind: .duplicate, isRequest: true, key: Array(sent.id.utf8), value: sent.value, id: sent.id)
        }
        if roll < self.statusShare + self.duplicateShare + self.invalidShare {
            return self.invalid(submittedAt: submittedAt)
        }
        return self.valid(submittedAt: submittedAt)
    }

    private mutating func nextId() -> String {
        self.counter += 1
        return "\(self.prefix)-\(self.counter)"
    }

    public mutating func valid(submittedAt: Date) -> Record {
        let id = self.nextId()
        let json = self.requestJSON(id: id, submittedAt: submittedAt)
        let value = Array(json.utf8)
        self.sent.append((id, value))
        if self.sent.count > 5000 { self.sent.removeFirst(1000) }
        return Record(kind: .valid, isRequest: true, key: Array(id.utf8), value: value, id: id)
    }

    private mutating func requestJSON(id: String, submittedAt: Date) -> String {
        let consultation = self.rng.unit() < 0.15
        let age = Int.random(in: 0...25, using: &self.rng)
        let municipality = Self.municipalities.randomElement(using: &self.rng)!
        var client: [String] = []
        let anonymous = consultation && self.rng.unit() < 0.4
        if !anonymous {
            client.append("\"ref\":\"pseud-\(String(self.rng.next() % 1_000_000, radix: 36))\"")
        }
        if !anonymous || self.rng.unit() < 0.5 { client.append("\"ageYears\":\(age)") }
        client.append("\"municipality\":\"\(municipality)\"")
        if municipality == "398" {
            client.append("\"postalCode\":\"\(Self.lahtiPostalCodes.randomElement(using: &self.rng)!)\"")
        }
        if municipality == "257" || self.rng.unit() < 0.05 {
            client.append("\"language\":\"\(self.rng.unit() < 0.5 ? "sv" : "fi")\"")
        }
        if age >= 6, age <= 19, self.rng.unit() < 0.5 {
            client.append("\"schoolId\":\"\(Self.schools.randomElement(using: &self.rng)!)\"")
        }
        let concernCount = self.rng.unit() < 0.7 ? 1 : 2
        let concerns = Concern.allCases.shuffled(using: &self.rng).prefix(concernCount).map { "\"\($0.rawValue)\"" }
        let urgency = self.rng.unit() < 0.04 ? "emergency" : Urgency.allCases.dropFirst().randomElement(using: &self.rng)!.rawValue
        let severity = Severity.allCases.randomElement(using: &self.rng)!.rawValue
        var fields = [
            "\"type\":\"\(consultation ? "consultation" : "referral")\"",
            "\"id\":\"\(id)\"",
            "\"submittedAt\":\"\(RFC3339.format(submittedAt))\"",
            "\"source\":{\"system\":\"demo-intake\",\"unit\":\"neuvola-3\",\"professionalRole\":\"public_health_nurse\"}",
            "\"client\":{\(client.joined(separator: ","))}",
            "\"need\":{\"concerns\":[\(concerns.joined(separator: ","))],\"urgency\":\"\(urgency)\",\"severity\":\"\(severity)\"}",
            "\"notes\":\"Synthetic demo record; contains no real person's data.\"",
        ]
        if consultation {
            fields.append("\"consultation\":{\"caseOwnerTeam\":\"ph-fc-lahti-south\",\"question\":\"How should we support the family?\"}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    public mutating func invalid(submittedAt: Date) -> Record {
        let code = Self.invalidCodes.randomElement(using: &self.rng)!
        let id = self.nextId()
        let valid = self.requestJSON(id: id, submittedAt: submittedAt)
        var value: [UInt8]
        switch code {
        case "malformed_json": value = Array(valid.dropLast(3).utf8)
        case "invalid_utf8": value = Array(valid.utf8); value[value.count / 2] = 0xFF
        case "not_an_object": value = Array("[\"\(id)\"]".utf8)
        case "missing_field": value = Array(valid.replacingOccurrences(of: "\"type\":", with: "\"kind\":").utf8)
        case "wrong_type": value = Array(valid.replacingOccurrences(of: "\"need\":{", with: "\"need\":[{").replacingOccurrences(of: "\"},\"notes\"", with: "\"}],\"notes\"").utf8)
        case "bad_id": value = Array(valid.replacingOccurrences(of: "\"id\":\"\(id)\"", with: "\"id\":\"\(id) !\"").utf8)
        case "bad_timestamp": value = Array(valid.replacingOccurrences(of: "\"submittedAt\":\"", with: "\"submittedAt\":\"yesterday ").utf8)
        case "unknown_enum_value": value = Array(valid.replacingOccurrences(of: "\"severity\":\"", with: "\"severity\":\"x").utf8)
        case "unknown_concern": value = Array(valid.replacingOccurrences(of: "\"concerns\":[", with: "\"concerns\":[\"homework\",").utf8)
        case "duplicate_concern": value = Array(valid.replacingOccurrences(of: "\"concerns\":[", with: "\"concerns\":[\"parenting\",\"parenting\",").utf8)
        case "concern_count": value = Array(valid.replacingOccurrences(of: #"\"concerns\":\[[^\]]*\]"#, with: "\"concerns\":[]", options: .regularExpression).utf8)
        case "age_out_of_range": value = Array(valid.replacingOccurrences(of: #"\"ageYears\":\d+"#, with: "\"ageYears\":31", options: .regularExpression).replacingOccurrences(of: "\"client\":{", with: "\"client\":{\"ageYears\":31,").replacingOccurrences(of: #"\"ageYears\":31,(.*)\"ageYears\":31"#, with: "\"ageYears\":31$1\"x\":0", options: .regularExpression).utf8)
        case "bad_municipality_format": value = Array(valid.replacingOccurrences(of: #"\"municipality\":\"\d+\""#, with: "\"municipality\":\"Lahti\"", options: .regularExpression).utf8)
        case "bad_postal_code": value = Array(valid.replacingOccurrences(of: "\"client\":{", with: "\"client\":{\"postalCode\":\"1510\",").replacingOccurrences(of: #",\"postalCode\":\"\d{5}\""#, with: "", options: .regularExpression).utf8)
        case "bad_language": value = Array(valid.replacingOccurrences(of: "\"client\":{", with: "\"client\":{\"language\":\"Finnish\",").replacingOccurrences(of: #",\"language\":\"(fi|sv)\""#, with: "", options: .regularExpression).utf8)
        case "personal_identity_code": value = Array(valid.replacingOccurrences(of: #"\"ref\":\"[^\"]*\""#, with: "\"ref\":\"131052-308T\"", options: .regularExpression).replacingOccurrences(of: "\"client\":{\"ageYears\"", with: "\"client\":{\"ref\":\"131052-308T\",\"ageYears\"").utf8)
        case "text_too_long": value = Array(valid.replacingOccurrences(of: "Synthetic demo record; contains no real person's data.", with: String(repeating: "x", count: 4001)).utf8)
        case "too_deeply_nested": value = Array(valid.replacingOccurrences(of: "\"notes\":", with: "\"extra\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + ",\"notes\":").utf8)
        case "duplicate_member": value = Array(valid.replacingOccurrences(of: "\"type\":", with: "\"id\":\"x\",\"type\":").utf8)
        default:  // id_conflict: an id already decided, different content
            if let sent = self.sent.randomElement(using: &self.rng) {
                let text = String(decoding: sent.value, as: UTF8.self).replacingOccurrences(of: "\"notes\":\"", with: "\"notes\":\"changed ")
                return Record(kind: .invalid, isRequest: true, key: Array(sent.id.utf8), value: Array(text.utf8), id: sent.id, expectedCode: "id_conflict")
            }
            value = Array(valid.dropLast(3).utf8)
            return Record(kind: .invalid, isRequest: true, key: Array(id.utf8), value: value, id: id, expectedCode: "malformed_json")
        }
        // Every label must be true: a mutation that left the request valid becomes a truncated (malformed) one.
        switch RequestValidator().validateRequest(value) {
        case .success:
            value = Array(valid.dropLast(3).utf8)
            return Record(kind: .invalid, isRequest: true, key: Array(id.utf8), value: value, id: id, expectedCode: "malformed_json")
        case .failure(let failure):
            return Record(kind: .invalid, isRequest: true, key: Array(id.utf8), value: value, id: id, expectedCode: failure.code.rawValue)
        }
    }

    private mutating func statusUpdate(for id: String, at date: Date) -> Record {
        let status = ["acknowledged", "first_contact", "assessment_started", "assessment_completed", "service_started", "closed"]
            .randomElement(using: &self.rng)!
        let json = "{\"referralId\":\"\(id)\",\"status\":\"\(status)\",\"at\":\"\(RFC3339.format(date))\",\"team\":\"demo-team\"}"
        return Record(kind: .status, isRequest: false, key: Array(id.utf8), value: Array(json.utf8), id: id)
    }

    /// SplitMix64: a small deterministic generator, so that traffic and tests reproduce from a seed.
    public struct Generator: RandomNumberGenerator, Sendable {
        var state: UInt64

        public init(seed: UInt64) {
            self.state = seed
        }

        init(state: UInt64) {
            self.state = state
        }

        public mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        public mutating func unit() -> Double {
            Double(self.next() >> 11) / Double(1 << 53)
        }
    }
}
