import struct Foundation.Date

/// The hot path's reading of a request: one pass over the record's bytes straight into a ``ReferralRequest`` (or a
/// ``StatusUpdate``), for the shape a valid one has.
///
/// The full path parses the record into a tree of JSON values (``JSONParser``) and then checks each field
/// (``RequestValidator``): every member name, every string and every object on the way is a value of its own.
/// This decoder reads the known members where they lie, checks them as the full path does and makes only the
/// strings the request keeps.
///
/// It accepts only what the full path accepts, and gives the same request. Anything it does not handle gives
/// `nil`, and the caller runs the full path, which either finds the request valid after all or names every
/// problem. That covers:
/// - a member it does not know, or one that appears twice;
/// - a string with an escape or a control character;
/// - a `null`;
/// - a number other than a plain whole one;
/// - a value that fails any check.
///
/// `RequestDecoderTests` holds it to the full path on a generated corpus and on mutated records.
enum RequestDecoder {
    /// The request in `bytes`, or `nil` when only the full path can tell (see above).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, maximumTextLength: Int) -> ReferralRequest? {
        var reader = Reader(bytes: bytes)
        var fields = Fields()
        guard reader.object(Self.topNames, { reader, name in fields.read(name, from: &reader) }) else { return nil }
        reader.skipWhitespace()
        guard reader.index == bytes.count else { return nil }
        return fields.takeRequest(maximumTextLength: maximumTextLength)
    }

    /// The status update in `bytes`, or `nil` when only the full path can tell (as for requests).
    static func decodeStatus(_ bytes: UnsafeBufferPointer<UInt8>) -> StatusUpdate? {
        var reader = Reader(bytes: bytes)
        var referralId: String?
        var status: CaseStatus?
        var at: Date?
        var team: String?
        var newTeam: String?
        let read = reader.object(Self.statusNames) { reader, name in
            switch name {
            case 0:
                referralId = reader.identifier()
                return referralId != nil
            case 1:
                status = reader.enumeration(Self.caseStatuses)
                return status != nil
            case 2:
                guard let range = reader.string() else { return false }
                at = RFC3339.parse(utf8: reader.slice(range))
                return at != nil
            case 3:
                team = reader.shortText()
                return team != nil
            default:
                newTeam = reader.shortText()
                return newTeam != nil
            }
        }
        guard read, let referralId, let status, let at else { return nil }
        reader.skipWhitespace()
        guard reader.index == bytes.count else { return nil }
        // The contract names the new owner of a reassignment in `team`; `newTeam` is accepted too.
        if status == .reassigned, newTeam == nil {
            guard let team else { return nil }
            newTeam = team
        }
        return StatusUpdate(referralId: referralId, status: status, at: at, team: team, newTeam: newTeam)
    }

    // Member names, by position (a member's position is its bit in an object's set of names seen).
    static let statusNames: [StaticString] = ["referralId", "status", "at", "team", "newTeam"]
    static let topNames: [StaticString] = ["type", "id", "submittedAt", "source", "client", "need", "consultation", "notes"]
    static let sourceNames: [StaticString] = ["system", "unit", "professionalRole"]
    static let clientNames: [StaticString] = ["ref", "ageYears", "municipality", "postalCode", "language", "schoolId"]
    static let needNames: [StaticString] = ["concerns", "urgency", "severity"]
    static let consultationNames: [StaticString] = ["caseOwnerTeam", "requestedUnitType", "question"]

    /// What has been read, as the full path would have it; checked and put together by ``takeRequest(maximumTextLength:)``.
    private struct Fields {
        var type: RequestType?
        var id: String?
        var submittedAt: Date?
        var hasSource = false
        var system: String?
        var unit: String?
        var professionalRole: String?
        var hasClient = false
        var ref: String?
        var ageYears: Int?
        var municipality: String?
        var postalCode: String?
        var language: String?
        var schoolId: String?
        var hasNeed = false
        var concerns: [Concern]?
        var urgency: Urgency?
        var severity: Severity?
        var hasConsultation = false
        var caseOwnerTeam: String?
        var requestedUnitType: UnitType?
        var question: String?
        var notes: String?

        /// Reads the value of the top-level member at `name` (its position in ``topNames``).
        mutating func read(_ name: Int, from reader: inout Reader) -> Bool {
            switch name {
            case 0:
                self.type = reader.enumeration(RequestDecoder.requestTypes)
                return self.type != nil
            case 1:
                self.id = reader.identifier()
                return self.id != nil
            case 2:
                guard let range = reader.string(), let date = RFC3339.parse(utf8: reader.slice(range)) else { return false }
                self.submittedAt = date
                return true
            case 3:
                self.hasSource = true
                return reader.object(RequestDecoder.sourceNames) { reader, name in
                    guard let text = reader.shortText() else { return false }
                    switch name {
                    case 0: self.system = text
                    case 1: self.unit = text
                    default: self.professionalRole = text
                    }
                    return true
                }
            case 4:
                self.hasClient = true
                return reader.object(RequestDecoder.clientNames) { reader, name in self.readClient(name, from: &reader) }
            case 5:
                self.hasNeed = true
                return reader.object(RequestDecoder.needNames) { reader, name in
                    switch name {
                    case 0:
                        self.concerns = reader.concerns()
                        return self.concerns != nil
                    case 1:
                        self.urgency = reader.enumeration(RequestDecoder.urgencies)
                        return self.urgency != nil
                    default:
                        self.severity = reader.enumeration(RequestDecoder.severities)
                        return self.severity != nil
                    }
                }
            case 6:
                self.hasConsultation = true
                return reader.object(RequestDecoder.consultationNames) { reader, name in
                    switch name {
                    case 0:
                        self.caseOwnerTeam = reader.shortText()
                        return self.caseOwnerTeam != nil
                    case 1:
                        // Specialist unit types only; another is left to the full validation, which names it.
                        self.requestedUnitType = reader.enumeration(RequestDecoder.specialistUnitTypes)
                        return self.requestedUnitType != nil
                    default:
                        guard let range = reader.string() else { return false }
                        self.question = reader.text(range)
                        return true
                    }
                }
            default:
                guard let range = reader.string() else { return false }
                self.notes = reader.text(range)
                return true
            }
        }

        /// A client member, checked as `RequestValidator.validateClient` checks it.
        private mutating func readClient(_ name: Int, from reader: inout Reader) -> Bool {
            switch name {
            case 0:
                guard let range = reader.string(), !range.isEmpty, range.count <= 128 else { return false }
                let ref = reader.text(range)
                guard !PersonalIdentityCode.looksLikeOne(ref) else { return false }
                self.ref = ref
            case 1:
                guard let age = reader.wholeNumber(), (0...25).contains(age) else { return false }
                self.ageYears = age
            case 2:
                guard let municipality = reader.digits(3) else { return false }
                self.municipality = municipality
            case 3:
                guard let postalCode = reader.digits(5) else { return false }
                self.postalCode = postalCode
            case 4:
                guard let range = reader.string(), range.count == 2,
                    reader.slice(range).allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") })
                else { return false }
                self.language = reader.text(range)
            default:
                guard let schoolId = reader.identifier() else { return false }
                self.schoolId = schoolId
            }
            return true
        }

        /// The request, when everything the full path requires is here and the free texts are within their limit.
        /// The texts are moved out of the fields (read once, at the end): building the request from a borrowed copy
        /// retained every text and released it again with the fields.
        mutating func takeRequest(maximumTextLength limit: Int) -> ReferralRequest? {
            // Taken even when the request is then refused: the fields are not read again.
            guard let type = self.type, let id = self.id.take(), let submittedAt = self.submittedAt,
                let system = self.system.take(), let concerns = self.concerns.take(), let urgency = self.urgency,
                let severity = self.severity
            else { return nil }
            switch type {
            case .referral:
                // Who and how old are required of a referral; a consultation block is not allowed on one.
                guard self.ref != nil, self.ageYears != nil, !self.hasConsultation else { return nil }
            case .consultation:
                guard self.hasConsultation else { return nil }
            }
            // Characters are code points, as the validator counts them. A text has at most as many as UTF-8 bytes:
            // only a long one needs them counted.
            func withinLimit(_ text: String?) -> Bool {
                guard let text else { return true }
                return text.utf8.count <= limit || text.unicodeScalars.count <= limit
            }
            guard withinLimit(self.notes), withinLimit(self.question) else { return nil }
            let client =
                self.hasClient
                ? ReferralRequest.Client(
                    ref: self.ref.take(), ageYears: self.ageYears, municipality: self.municipality.take(),
                    postalCode: self.postalCode.take(),
                    language: self.language.take() ?? ReferralRequest.Client.defaultLanguage, schoolId: self.schoolId.take())
                : ReferralRequest.Client()
            return ReferralRequest(
                type: type,
                id: id,
                submittedAt: submittedAt,
                source: ReferralRequest.Source(
                    system: system, unit: self.unit.take(),
                    professionalRole: self.professionalRole.take()),
                client: client,
                need: ReferralRequest.Need(concerns: concerns, urgency: urgency, severity: severity),
                consultation: type == .consultation
                    ? ReferralRequest.Consultation(
                        caseOwnerTeam: self.caseOwnerTeam.take(), requestedUnitType: self.requestedUnitType,
                        question: self.question.take())
                    : nil,
                notes: self.notes.take()
            )
        }
    }

    /// Each value of an enumeration with its raw value's bytes, to be matched without making a string.
    private static func table<Value: RawRepresentable & CaseIterable>(_: Value.Type) -> [([UInt8], Value)]
    where Value.RawValue == String {
        Value.allCases.map { (Array($0.rawValue.utf8), $0) }
    }
    static let requestTypes = table(RequestType.self)
    static let urgencies = table(Urgency.self)
    static let severities = table(Severity.self)
    static let specialistUnitTypes = UnitType.specialistCases.map { (Array($0.rawValue.utf8), $0) }
    static let concernCodes = table(Concern.self)
    static let caseStatuses = table(CaseStatus.self)

    /// A cursor over the record's bytes.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        private var current: UInt8? {
            self.index < self.bytes.count ? self.bytes[self.index] : nil
        }

        /// The JSON white space the parser skips.
        mutating func skipWhitespace() {
            while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                self.index += 1
            }
        }

        func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: self.bytes[range])
        }

        /// The string of the bytes in `range` (as the parser makes it: the same bytes).
        func text(_ range: Range<Int>) -> String {
            String(decoding: self.slice(range), as: UTF8.self)
        }

        /// An object whose member names are all among `names`, each at most once: `member` reads the value of the
        /// member at its name's position. `false` for anything else.
        mutating func object(_ names: [StaticString], _ member: (inout Reader, Int) -> Bool) -> Bool {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "{") else { return false }
            self.index += 1
            self.skipWhitespace()
            if self.current == UInt8(ascii: "}") {
                self.index += 1
                return true
            }
            var seen: UInt32 = 0
            while true {
                guard let key = self.string(), let name = self.position(of: key, in: names), seen & 1 << name == 0 else {
                    return false
                }
                seen |= 1 << name
                self.skipWhitespace()
                guard self.current == UInt8(ascii: ":") else { return false }
                self.index += 1
                self.skipWhitespace()
                guard member(&self, name) else { return false }
                self.skipWhitespace()
                switch self.current {
                case UInt8(ascii: ","):
                    self.index += 1
                    self.skipWhitespace()
                case UInt8(ascii: "}"):
                    self.index += 1
                    return true
                default:
                    return false
                }
            }
        }

        private func position(of key: Range<Int>, in names: [StaticString]) -> Int? {
            let key = self.slice(key)
            for index in names.indices {
                let name = names[index]
                guard name.utf8CodeUnitCount == key.count else { continue }
                if UnsafeBufferPointer(start: name.utf8Start, count: key.count).elementsEqual(key) { return index }
            }
            return nil
        }

        /// A string without escapes or control characters, its UTF-8 valid as the parser checks it: the range of its
        /// bytes between the quotes.
        mutating func string() -> Range<Int>? {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { return nil }
            self.index += 1
            let start = self.index
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                if byte == UInt8(ascii: "\"") {
                    self.index += 1
                    return start..<(self.index - 1)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                if byte < 0x80 {
                    self.index += 1
                } else {
                    // The parser's rules (overlong forms, surrogates, values above U+10FFFF).
                    guard case .scalar(let length) = JSONParser.multiByteSequence(in: self.bytes, at: self.index) else {
                        return nil
                    }
                    self.index += length
                }
            }
            return nil
        }

        /// `FieldReader.identifier`: 1–64 characters of the id syntax.
        mutating func identifier() -> String? {
            guard let range = self.string(), Identifier.isValid(utf8: self.slice(range)) else { return nil }
            return self.text(range)
        }

        /// A string of exactly `count` ASCII digits (a municipality or postal code).
        mutating func digits(_ count: Int) -> String? {
            guard let range = self.string(), range.count == count, self.slice(range).allSatisfy({ $0.isASCIIDigit }) else {
                return nil
            }
            return self.text(range)
        }

        /// `FieldReader.shortText`: 1–128 bytes.
        mutating func shortText() -> String? {
            guard let range = self.string(), !range.isEmpty, range.count <= 128 else { return nil }
            return self.text(range)
        }

        /// A string that is the raw value of one of `table`'s values.
        mutating func enumeration<Value>(_ table: [([UInt8], Value)]) -> Value? {
            guard let range = self.string() else { return nil }
            let text = self.slice(range)
            for entry in table where entry.0.count == text.count && entry.0.elementsEqual(text) {
                return entry.1
            }
            return nil
        }

        /// A whole number written without a sign, fraction or exponent (`0` or a digit 1–9 and up to two more).
        mutating func wholeNumber() -> Int? {
            self.skipWhitespace()
            guard let first = self.current, first.isASCIIDigit else { return nil }
            self.index += 1
            var value = Int(first - UInt8(ascii: "0"))
            var digits = 1
            while let byte = self.current, byte.isASCIIDigit {
                // A leading zero is a syntax error to the parser; long numbers are out of range anyway.
                guard value != 0, digits < 3 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                self.index += 1
            }
            if let byte = self.current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                return nil
            }
            return value
        }

        /// `need.concerns`: 1–10 known concern codes, none repeated.
        mutating func concerns() -> [Concern]? {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "[") else { return nil }
            self.index += 1
            var concerns: [Concern] = []
            concerns.reserveCapacity(4)
            while true {
                guard let concern = self.enumeration(RequestDecoder.concernCodes), !concerns.contains(concern),
                    concerns.count < 10
                else { return nil }
                concerns.append(concern)
                self.skipWhitespace()
                switch self.current {
                case UInt8(ascii: ","):
                    self.index += 1
                case UInt8(ascii: "]"):
                    self.index += 1
                    return concerns
                default:
                    return nil
                }
            }
        }
    }
}
