import struct Foundation.Date

/// Turns input bytes into validated requests and status updates, naming every problem it finds.
///
/// Validation never stops at the first problem (intake staff fix a referral once, not once per field) and
/// never traps, whatever the bytes.
public struct RequestValidator: Sendable {
    /// The largest record accepted, in bytes.
    public var maximumRecordBytes: Int
    /// The longest free text (`notes`, `consultation.question`), in characters.
    public var maximumTextLength: Int

    public init(maximumRecordBytes: Int = 64 * 1024, maximumTextLength: Int = 4000) {
        self.maximumRecordBytes = maximumRecordBytes
        self.maximumTextLength = maximumTextLength
    }

    /// Validates a request (referral or consultation).
    ///
    /// A request of the usual shape is read in one pass (``RequestDecoder``); any other record, valid or not, goes
    /// through the parser and the field checks (``validateRequestInFull(_:)``), which give the same request or name
    /// every problem.
    public func validateRequest<Bytes: Collection>(_ bytes: Bytes) -> Result<ReferralRequest, ValidationFailure>
    where Bytes.Element == UInt8 {
        if let request = self.inOnePass(bytes, { RequestDecoder.decode($0, maximumTextLength: self.maximumTextLength) }) {
            return .success(request)
        }
        return self.validateRequestInFull(bytes)
    }

    /// Validates a request through the parser and the field checks alone: what ``validateRequest(_:)`` does for a
    /// record its one-pass reading does not take (public so that tests can hold the two to each other).
    public func validateRequestInFull<Bytes: Collection>(_ bytes: Bytes) -> Result<ReferralRequest, ValidationFailure>
    where Bytes.Element == UInt8 {
        switch self.parseObject(bytes) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let object):
            return self.validateRequest(object)
        }
    }

    /// Validates a status update (in one pass when it has the usual shape, as ``validateRequest(_:)``).
    public func validateStatus<Bytes: Collection>(_ bytes: Bytes) -> Result<StatusUpdate, ValidationFailure>
    where Bytes.Element == UInt8 {
        if let update = self.inOnePass(bytes, RequestDecoder.decodeStatus) {
            return .success(update)
        }
        return self.validateStatusInFull(bytes)
    }

    /// What `decode` reads from a record within the size limit whose bytes lie in one piece; `nil` otherwise.
    private func inOnePass<Bytes: Collection, Value>(
        _ bytes: Bytes, _ decode: (UnsafeBufferPointer<UInt8>) -> Value?
    ) -> Value? where Bytes.Element == UInt8 {
        guard bytes.count <= self.maximumRecordBytes else { return nil }
        return bytes.withContiguousStorageIfAvailable(decode) ?? nil
    }

    /// Validates a status update through the parser and the field checks alone.
    public func validateStatusInFull<Bytes: Collection>(_ bytes: Bytes) -> Result<StatusUpdate, ValidationFailure>
    where Bytes.Element == UInt8 {
        switch self.parseObject(bytes) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let object):
            return self.validateStatus(object)
        }
    }

    private func parseObject<Bytes: Collection>(_ bytes: Bytes) -> Result<JSONObject, ValidationFailure>
    where Bytes.Element == UInt8 {
        guard bytes.count <= self.maximumRecordBytes else {
            return .failure(
                ValidationFailure(
                    id: nil,
                    problems: [
                        ValidationProblem(
                            .recordTooLarge,
                            field: "",
                            "the record has \(bytes.count) bytes; at most \(self.maximumRecordBytes) are accepted"
                        )
                    ]
                )
            )
        }
        switch JSONParser.parse(bytes) {
        case .failure(let failure):
            let code: ValidationProblem.Code =
                switch failure.kind {
                case .invalidUTF8: .invalidUTF8
                case .tooDeeplyNested: .tooDeeplyNested
                case .duplicateKey: .duplicateMember
                case .syntax: .malformedJSON
                }
            return .failure(
                ValidationFailure(
                    id: nil,
                    problems: [ValidationProblem(code, field: "", "\(failure.message) at byte \(failure.offset)")]
                )
            )
        case .success(.object(let object)):
            return .success(object)
        case .success(let other):
            return .failure(
                ValidationFailure(
                    id: nil,
                    problems: [ValidationProblem(.notAnObject, field: "", "the record is a JSON \(other.typeName), not an object")]
                )
            )
        }
    }

    // MARK: Requests

    func validateRequest(_ object: JSONObject) -> Result<ReferralRequest, ValidationFailure> {
        var reader = FieldReader()
        let type: RequestType? = reader.enumeration(object, "type", required: true)
        let id = reader.identifier(object, "id", required: true)
        let submittedAt = reader.timestamp(object, "submittedAt", required: true)

        var source: ReferralRequest.Source?
        if let sourceObject = reader.object(object, "source", required: true) {
            let system = reader.shortText(sourceObject, "system", path: "source.system", required: true)
            let unit = reader.shortText(sourceObject, "unit", path: "source.unit", required: false)
            let role = reader.shortText(sourceObject, "professionalRole", path: "source.professionalRole", required: false)
            if let system {
                source = ReferralRequest.Source(system: system, unit: unit, professionalRole: role)
            }
        }

        let isConsultation = type == .consultation
        var client: ReferralRequest.Client?
        // A consultation may omit the client entirely (anonymous consultation).
        if let clientObject = reader.object(object, "client", required: !isConsultation) {
            client = self.validateClient(clientObject, requireIdentity: type == .referral, reader: &reader)
        } else if isConsultation {
            client = ReferralRequest.Client()
        }

        var need: ReferralRequest.Need?
        if let needObject = reader.object(object, "need", required: true) {
            need = self.validateNeed(needObject, reader: &reader)
        }

        var consultation: ReferralRequest.Consultation?
        if isConsultation {
            if let consultationObject = reader.object(object, "consultation", required: true) {
                let owner = reader.shortText(
                    consultationObject, "caseOwnerTeam", path: "consultation.caseOwnerTeam", required: false)
                var requested: UnitType? = reader.enumeration(
                    consultationObject, "requestedUnitType", path: "consultation.requestedUnitType", required: false)
                if let unitType = requested, unitType.level != .specialist {
                    // A consultation asks a specialist unit (steering-model.md, "What the router receives").
                    let allowed = UnitType.specialistCases.map(\.rawValue).joined(separator: ", ")
                    reader.problem(
                        .unknownEnumValue, "consultation.requestedUnitType",
                        "consultation.requestedUnitType names a specialist unit type, one of: \(allowed)")
                    requested = nil
                }
                let question = reader.freeText(
                    consultationObject, "question", path: "consultation.question", limit: self.maximumTextLength)
                consultation = ReferralRequest.Consultation(
                    caseOwnerTeam: owner, requestedUnitType: requested, question: question)
            }
        } else if type == .referral, object["consultation"] != nil {
            reader.problem(.fieldNotAllowed, "consultation", "a referral does not carry a consultation block")
        }
        let notes = reader.freeText(object, "notes", path: "notes", limit: self.maximumTextLength)

        guard reader.problems.isEmpty, let type, let id, let submittedAt, let source, let client, let need else {
            if reader.problems.isEmpty {
                reader.problem(.malformedJSON, "", "the request is incomplete")
            }
            return .failure(ValidationFailure(id: id, problems: reader.problems))
        }
        return .success(
            ReferralRequest(
                type: type,
                id: id,
                submittedAt: submittedAt,
                source: source,
                client: client,
                need: need,
                consultation: consultation,
                notes: notes
            )
        )
    }

    private func validateClient(
        _ object: JSONObject,
        requireIdentity: Bool,
        reader: inout FieldReader
    ) -> ReferralRequest.Client? {
        var client = ReferralRequest.Client()
        if let ref = reader.string(object, "ref", path: "client.ref", required: requireIdentity) {
            if PersonalIdentityCode.looksLikeOne(ref) {
                reader.problem(
                    .personalIdentityCode, "client.ref",
                    "client.ref must be a pseudonymous reference, never a personal identity code (henkilötunnus)")
            } else if ref.isEmpty || ref.utf8.count > 128 {
                reader.problem(.badReference, "client.ref", "client.ref must be 1–128 bytes")
            } else {
                client.ref = ref
            }
        }
        if let age = reader.integer(object, "ageYears", path: "client.ageYears", required: requireIdentity) {
            if (0...25).contains(age) {
                client.ageYears = age
            } else {
                reader.problem(.ageOutOfRange, "client.ageYears", "client.ageYears must be between 0 and 25")
            }
        }
        if let municipality = reader.string(object, "municipality", path: "client.municipality", required: false) {
            if municipality.utf8.count == 3, municipality.utf8.allSatisfy({ $0.isASCIIDigit }) {
                client.municipality = municipality
            } else {
                reader.problem(
                    .badMunicipalityFormat, "client.municipality",
                    "client.municipality must be a 3-digit municipality code, e.g. \"398\"")
            }
        }
        if let postalCode = reader.string(object, "postalCode", path: "client.postalCode", required: false) {
            if postalCode.utf8.count == 5, postalCode.utf8.allSatisfy({ $0.isASCIIDigit }) {
                client.postalCode = postalCode
            } else {
                reader.problem(.badPostalCode, "client.postalCode", "client.postalCode must be 5 digits")
            }
        }
        if let language = reader.string(object, "language", path: "client.language", required: false) {
            if language.utf8.count == 2, language.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) {
                client.language = language
            } else {
                reader.problem(
                    .badLanguage, "client.language", "client.language must be a lower-case ISO 639-1 code, e.g. \"sv\"")
            }
        }
        client.schoolId = reader.identifier(object, "schoolId", path: "client.schoolId", required: false)
        return client
    }

    private func validateNeed(_ object: JSONObject, reader: inout FieldReader) -> ReferralRequest.Need? {
        var concerns: [Concern] = []
        var concernsValid = false
        if let array = reader.array(object, "concerns", path: "need.concerns", required: true) {
            if array.isEmpty || array.count > 10 {
                reader.problem(.concernCount, "need.concerns", "need.concerns must list 1 to 10 concern codes")
            } else {
                concernsValid = true
                concerns.reserveCapacity(array.count)
                for (index, element) in array.enumerated() {
                    // Built only for a problem (it is not a small string, so it would cost an allocation).
                    var path: String { "need.concerns[\(index)]" }
                    guard case .string(let code) = element else {
                        reader.problem(.wrongType, path, "\(path) must be a string, not a \(element.typeName)")
                        concernsValid = false
                        continue
                    }
                    guard let concern = Concern(rawValue: code) else {
                        reader.problem(.unknownConcern, path, "\(path) is not a known concern code")
                        concernsValid = false
                        continue
                    }
                    if concerns.contains(concern) {
                        reader.problem(.duplicateConcern, path, "\(path) repeats a concern already listed")
                        concernsValid = false
                        continue
                    }
                    concerns.append(concern)
                }
            }
        }
        let urgency: Urgency? = reader.enumeration(object, "urgency", path: "need.urgency", required: true)
        let severity: Severity? = reader.enumeration(object, "severity", path: "need.severity", required: true)
        guard concernsValid, let urgency, let severity else { return nil }
        return ReferralRequest.Need(concerns: concerns, urgency: urgency, severity: severity)
    }

    // MARK: Status updates

    func validateStatus(_ object: JSONObject) -> Result<StatusUpdate, ValidationFailure> {
        var reader = FieldReader()
        let referralId = reader.identifier(object, "referralId", required: true)
        let status: CaseStatus? = reader.enumeration(object, "status", required: true)
        let at = reader.timestamp(object, "at", required: true)
        let team = reader.shortText(object, "team", path: "team", required: false)
        var newTeam = reader.shortText(object, "newTeam", path: "newTeam", required: false)
        if status == .reassigned, newTeam == nil {
            // The contract names the new owner in `team` for reassignments; `newTeam` is accepted too.
            newTeam = team
            if newTeam == nil {
                reader.problem(.missingField, "team", "a reassignment must name the new team")
            }
        }
        guard reader.problems.isEmpty, let referralId, let status, let at else {
            return .failure(ValidationFailure(id: referralId, problems: reader.problems))
        }
        return .success(StatusUpdate(referralId: referralId, status: status, at: at, team: team, newTeam: newTeam))
    }
}

extension UInt8 {
    var isASCIIDigit: Bool {
        self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")
    }
}

/// Reads typed members out of a JSON object, recording a problem for each defect.
struct FieldReader {
    private(set) var problems: [ValidationProblem] = []

    mutating func problem(_ code: ValidationProblem.Code, _ field: String, _ message: String) {
        self.problems.append(ValidationProblem(code, field: field, message))
    }

    private mutating func member(_ object: JSONObject, _ key: String, path: String, required: Bool) -> JSONValue? {
        guard let value = object[key], value != .null else {
            if required {
                self.problem(.missingField, path, "\(path) is required")
            }
            return nil
        }
        return value
    }

    private mutating func wrongType(_ path: String, expected: String, found: JSONValue) {
        self.problem(.wrongType, path, "\(path) must be \(expected), not a \(found.typeName)")
    }

    mutating func string(_ object: JSONObject, _ key: String, path: String? = nil, required: Bool) -> String? {
        let path = path ?? key
        guard let value = self.member(object, key, path: path, required: required) else { return nil }
        guard case .string(let string) = value else {
            self.wrongType(path, expected: "a string", found: value)
            return nil
        }
        return string
    }

    mutating func shortText(_ object: JSONObject, _ key: String, path: String, required: Bool) -> String? {
        guard let string = self.string(object, key, path: path, required: required) else { return nil }
        guard !string.isEmpty, string.utf8.count <= 128 else {
            self.problem(.textTooLong, path, "\(path) must be 1–128 bytes")
            return nil
        }
        return string
    }

    mutating func freeText(_ object: JSONObject, _ key: String, path: String, limit: Int) -> String? {
        guard let string = self.string(object, key, path: path, required: false) else { return nil }
        // Characters are code points, as JSON Schema's maxLength counts them (extended grapheme clusters, fewer for
        // a decomposed "ä", would let a text through that the consultation record's schema refuses). A text has at
        // most as many as UTF-8 bytes: only a long one needs them counted.
        guard string.utf8.count <= limit || string.unicodeScalars.count <= limit else {
            self.problem(.textTooLong, path, "\(path) has more than \(limit) characters")
            return nil
        }
        return string
    }

    mutating func integer(_ object: JSONObject, _ key: String, path: String, required: Bool) -> Int? {
        guard let value = self.member(object, key, path: path, required: required) else { return nil }
        guard case .number(let number) = value, let integer = number.integer else {
            self.wrongType(path, expected: "a whole number", found: value)
            return nil
        }
        return integer
    }

    mutating func object(_ object: JSONObject, _ key: String, path: String? = nil, required: Bool) -> JSONObject? {
        let path = path ?? key
        guard let value = self.member(object, key, path: path, required: required) else { return nil }
        guard case .object(let nested) = value else {
            self.wrongType(path, expected: "an object", found: value)
            return nil
        }
        return nested
    }

    mutating func array(_ object: JSONObject, _ key: String, path: String, required: Bool) -> [JSONValue]? {
        guard let value = self.member(object, key, path: path, required: required) else { return nil }
        guard case .array(let array) = value else {
            self.wrongType(path, expected: "an array", found: value)
            return nil
        }
        return array
    }

    mutating func enumeration<Value: RawRepresentable & CaseIterable>(
        _ object: JSONObject,
        _ key: String,
        path: String? = nil,
        required: Bool
    ) -> Value? where Value.RawValue == String {
        let path = path ?? key
        guard let string = self.string(object, key, path: path, required: required) else { return nil }
        guard let value = Value(rawValue: string) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            self.problem(.unknownEnumValue, path, "\(path) must be one of: \(allowed)")
            return nil
        }
        return value
    }

    /// An id: 1–64 characters of `[A-Za-z0-9._:-]`.
    mutating func identifier(_ object: JSONObject, _ key: String, path: String? = nil, required: Bool) -> String? {
        let path = path ?? key
        guard let string = self.string(object, key, path: path, required: required) else { return nil }
        guard Identifier.isValid(string) else {
            self.problem(.badId, path, "\(path) must be 1–64 characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'")
            return nil
        }
        return string
    }

    mutating func timestamp(_ object: JSONObject, _ key: String, required: Bool) -> Date? {
        guard let string = self.string(object, key, path: key, required: required) else { return nil }
        guard let date = RFC3339.parse(string) else {
            self.problem(.badTimestamp, key, "\(key) must be an RFC 3339 timestamp with an offset")
            return nil
        }
        return date
    }
}

/// The id syntax of the contract.
public enum Identifier {
    public static func isValid(_ string: String) -> Bool {
        var valid = false
        string.withUTF8InPlace { valid = Self.isValid(utf8: $0) }
        return valid
    }

    /// ``isValid(_:)`` over UTF-8 bytes.
    public static func isValid(utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}

/// Recognises the shape of a Finnish personal identity code (henkilötunnus), so that one is never accepted where
/// a pseudonymous reference belongs.
public enum PersonalIdentityCode {
    private static let checkCharacters = Array("0123456789ABCDEFHJKLMNPRSTUVWXY".utf8)
    private static let centurySigns = Set("+-ABCDEFUVWXY".utf8)

    /// `DDMMYYCNNNT`: six digits, a century sign, three digits and a check character (valid or not). Also as text
    /// pasted from a word processor or typed on a phone: with a Unicode dash or minus for the hyphen, or in
    /// full-width digits and letters.
    public static func looksLikeOne(_ string: String) -> Bool {
        // Shorter than a code: nothing to look at (the common case, checked without a copy).
        guard string.utf8.count >= 11 else { return false }
        // One byte per character, folded to its ASCII look-alike (0 for any other).
        let utf8 = string.utf8.allSatisfy { $0 < 0x80 } ? Array(string.uppercased().utf8) : string.unicodeScalars.map(Self.folded)
        // Also catch codes embedded in a longer reference.
        guard utf8.count >= 11 else { return false }
        for start in 0...(utf8.count - 11) {
            let candidate = utf8[start..<(start + 11)]
            let digits = Array(candidate.prefix(6)) + Array(candidate.dropFirst(7).prefix(3))
            guard digits.allSatisfy({ $0.isASCIIDigit }), Self.centurySigns.contains(candidate[start + 6]) else { continue }
            // The shape alone is enough: a mistyped code (wrong check character) is personal data too.
            if checkCharacters.contains(candidate[start + 10]) {
                return true
            }
        }
        return false
    }

    /// A character's ASCII look-alike for the shape check, upper-cased: dashes, hyphens and minus signs (U+2010 to
    /// U+2015, U+2212, U+FE63, U+FF0D) as `-`, full-width digits, letters and plus as theirs; 0 for anything else.
    static func folded(_ scalar: Unicode.Scalar) -> UInt8 {
        switch scalar.value {
        case 0x61...0x7A: UInt8(scalar.value - 0x20)
        case 0..<0x80: UInt8(scalar.value)
        case 0x2010...0x2015, 0x2212, 0xFE63, 0xFF0D: UInt8(ascii: "-")
        case 0xFF0B: UInt8(ascii: "+")
        case 0xFF10...0xFF19: UInt8(scalar.value - 0xFF10) + UInt8(ascii: "0")
        case 0xFF21...0xFF3A: UInt8(scalar.value - 0xFF21) + UInt8(ascii: "A")
        case 0xFF41...0xFF5A: UInt8(scalar.value - 0xFF41) + UInt8(ascii: "A")
        default: 0
        }
    }
}
