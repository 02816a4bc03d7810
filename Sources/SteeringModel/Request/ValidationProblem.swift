/// One thing wrong with an input record.
///
/// - Important: `message` never contains a value taken from the input: free text, client references and even
///   unknown codes can carry personal data, so messages name the field and the rule, never the content.
public struct ValidationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The closed set of error codes. Raw values are the contract used in rejections and dead-letter headers.
    public enum Code: String, Sendable, Hashable, CaseIterable, Codable {
        case recordTooLarge = "record_too_large"
        case invalidUTF8 = "invalid_utf8"
        case malformedJSON = "malformed_json"
        case tooDeeplyNested = "too_deeply_nested"
        case duplicateMember = "duplicate_member"
        case notAnObject = "not_an_object"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case badId = "bad_id"
        case badTimestamp = "bad_timestamp"
        case unknownEnumValue = "unknown_enum_value"
        case unknownConcern = "unknown_concern"
        case duplicateConcern = "duplicate_concern"
        case concernCount = "concern_count"
        case ageOutOfRange = "age_out_of_range"
        case badMunicipalityFormat = "bad_municipality_format"
        case badPostalCode = "bad_postal_code"
        case badLanguage = "bad_language"
        case badReference = "bad_reference"
        case personalIdentityCode = "personal_identity_code"
        case textTooLong = "text_too_long"
        case fieldNotAllowed = "field_not_allowed"
        // Found by the pipeline rather than the validator.
        case idConflict = "id_conflict"
        case unknownReferral = "unknown_referral"
        case unknownTeam = "unknown_team"
        case keyMismatch = "key_mismatch"
    }

    public let code: Code
    /// The JSON path of the offending member, e.g. `need.concerns[2]`; empty for the whole record.
    public let field: String
    /// A human reason without personal data.
    public let message: String

    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        self.field.isEmpty ? "\(self.code.rawValue): \(self.message)" : "\(self.code.rawValue) at \(self.field): \(self.message)"
    }
}

/// Why an input record was not accepted: every problem found, in document order.
public struct ValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request or referral id, when it could be read and is well-formed.
    public let id: String?
    public let problems: [ValidationProblem]

    public init(id: String?, problems: [ValidationProblem]) {
        precondition(!problems.isEmpty, "a validation failure has at least one problem")
        self.id = id
        self.problems = problems
    }

    /// The code of the first problem, used as the record's primary error code.
    public var code: ValidationProblem.Code {
        self.problems[0].code
    }

    /// All problems as one line, without personal data.
    public var reason: String {
        self.problems.map(\.description).joined(separator: "; ")
    }

    public var description: String {
        self.reason
    }
}
