import Foundation
import SteeringModel
import Testing

@Suite struct RequestValidatorTests {
    static let valid = #"""
        {"type":"referral","id":"r-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"intake","unit":"neuvola-1","professionalRole":"nurse"},
         "client":{"ref":"pseud-1","ageYears":4,"municipality":"398","postalCode":"15210","language":"fi","schoolId":"s-1"},
         "need":{"concerns":["parenting","separation"],"urgency":"new_concern","severity":"mild"},"notes":"Perhe toivoo tukea."}
        """#

    @Test func acceptsAValidReferral() throws {
        let request = try RequestValidator().validateRequest(Array(Self.valid.utf8)).get()
        #expect(request.type == .referral)
        #expect(request.id == "r-1")
        #expect(request.client.ageYears == 4)
        #expect(request.client.postalCode == "15210")
        #expect(request.need.concerns == [.parenting, .separation])
        #expect(request.notes == "Perhe toivoo tukea.")
        #expect(request.submittedAt == RFC3339.parse("2026-11-16T07:30:00Z"))
    }

    /// JSON Schema's `integer` is a whole value in any spelling: the contract's `"type": "integer"` accepts them.
    @Test(arguments: ["4.0", "4e0", "0.4E1", "4.000"])
    func acceptsAWholeAgeWrittenWithAFractionOrExponent(age: String) throws {
        let text = Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":\#(age)"#)
        let request = try RequestValidator().validateRequest(Array(text.utf8)).get()
        #expect(request.client.ageYears == 4)
    }

    @Test func defaultsLanguageToFinnishAndIgnoresUnknownFields() throws {
        let text = Self.valid.replacingOccurrences(of: #","language":"fi""#, with: "")
            .replacingOccurrences(of: #""notes""#, with: #""futureField":{"x":1},"notes""#)
        let request = try RequestValidator().validateRequest(Array(text.utf8)).get()
        #expect(request.client.language == "fi")
    }

    /// Each validation error code, with a mutation of the valid request that must produce it.
    static let cases: [(ValidationProblem.Code, String, String)] = [
        (.malformedJSON, "not json", "{\"type\":"),
        (.notAnObject, "an array", "[1,2]"),
        (.duplicateMember, "duplicate key", #"{"id":"a","id":"b"}"#),
        (.tooDeeplyNested, "deep nesting", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)),
        (.missingField, "no type", #"{"id":"r-1"}"#),
        (.wrongType, "age with a fraction", Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":4.5"#)),
        (.ageOutOfRange, "age 2.6e1", Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":2.6e1"#)),
        (.wrongType, "age as string", Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":"4""#)),
        (.badId, "bad id", Self.valid.replacingOccurrences(of: #""id":"r-1""#, with: #""id":"r 1/ä""#)),
        (.badId, "empty id", Self.valid.replacingOccurrences(of: #""id":"r-1""#, with: #""id":"""#)),
        (.badTimestamp, "no offset", Self.valid.replacingOccurrences(of: "+02:00", with: "")),
        (.unknownEnumValue, "unknown type", Self.valid.replacingOccurrences(of: #""type":"referral""#, with: #""type":"letter""#)),
        (.unknownEnumValue, "unknown urgency", Self.valid.replacingOccurrences(of: "new_concern", with: "asap")),
        (.unknownConcern, "unknown concern", Self.valid.replacingOccurrences(of: #""separation""#, with: #""homework""#)),
        (.duplicateConcern, "repeated concern", Self.valid.replacingOccurrences(of: #""separation""#, with: #""parenting""#)),
        (.concernCount, "no concerns", Self.valid.replacingOccurrences(of: #"["parenting","separation"]"#, with: "[]")),
        (.concernCount, "eleven concerns", Self.valid.replacingOccurrences(of: #"["parenting","separation"]"#, with: "[" + Array(repeating: #""parenting""#, count: 11).joined(separator: ",") + "]")),
        (.ageOutOfRange, "age 26", Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":26"#)),
        (.ageOutOfRange, "age -1", Self.valid.replacingOccurrences(of: #""ageYears":4"#, with: #""ageYears":-1"#)),
        (.badMunicipalityFormat, "municipality name", Self.valid.replacingOccurrences(of: #""398""#, with: #""Lahti""#)),
        (.badPostalCode, "postal code", Self.valid.replacingOccurrences(of: #""15210""#, with: #""152""#)),
        (.badLanguage, "language", Self.valid.replacingOccurrences(of: #""language":"fi""#, with: #""language":"FIN""#)),
        (.badReference, "empty ref", Self.valid.replacingOccurrences(of: #""ref":"pseud-1""#, with: #""ref":"""#)),
        (.personalIdentityCode, "henkilötunnus", Self.valid.replacingOccurrences(of: #""ref":"pseud-1""#, with: #""ref":"131052-308T""#)),
        (.textTooLong, "notes", Self.valid.replacingOccurrences(of: "Perhe toivoo tukea.", with: String(repeating: "a", count: 4001))),
        // 2,001 characters as the eye counts them, 4,002 code points as JSON Schema does.
        (.textTooLong, "decomposed notes", Self.valid.replacingOccurrences(of: "Perhe toivoo tukea.", with: String(repeating: "a\u{308}", count: 2001))),
        (.personalIdentityCode, "henkilötunnus with an en dash", Self.valid.replacingOccurrences(of: #""ref":"pseud-1""#, with: #""ref":"131052\#u{2013}308T""#)),
        (.personalIdentityCode, "henkilötunnus with a non-breaking hyphen", Self.valid.replacingOccurrences(of: #""ref":"pseud-1""#, with: #""ref":"x131052\#u{2011}308t""#)),
        (.personalIdentityCode, "henkilötunnus in full-width digits", Self.valid.replacingOccurrences(of: #""ref":"pseud-1""#, with: "\"ref\":\"\u{FF11}\u{FF13}\u{FF11}\u{FF10}\u{FF15}\u{FF12}-\u{FF13}\u{FF10}\u{FF18}\u{FF34}\"")),
        (.fieldNotAllowed, "consultation block on a referral", Self.valid.replacingOccurrences(of: #""notes""#, with: #""consultation":{},"notes""#)),
        (.missingField, "referral without client ref", Self.valid.replacingOccurrences(of: #""ref":"pseud-1","#, with: "")),
        (.missingField, "referral without age", Self.valid.replacingOccurrences(of: #""ageYears":4,"#, with: "")),
    ]

    @Test(arguments: Self.cases)
    func namesTheProblem(code: ValidationProblem.Code, name: String, text: String) {
        guard case .failure(let failure) = RequestValidator().validateRequest(Array(text.utf8)) else {
            Issue.record("\(name) must be rejected")
            return
        }
        #expect(failure.problems.contains { $0.code == code }, "\(name): \(failure.reason)")
    }

    /// Every code of the closed set is exercised somewhere: by the table above, the dedicated tests below, or (the
    /// four the pipeline finds) the integration tests.
    @Test func everyErrorCodeIsCovered() {
        let tabled = Set(Self.cases.map(\.0))
        let dedicated: Set<ValidationProblem.Code> = [.recordTooLarge, .invalidUTF8]
        let pipeline: Set<ValidationProblem.Code> = [.idConflict, .unknownReferral, .unknownTeam, .keyMismatch]
        #expect(tabled.union(dedicated).union(pipeline) == Set(ValidationProblem.Code.allCases))
    }

    @Test func recordTooLarge() {
        let validator = RequestValidator(maximumRecordBytes: 100)
        guard case .failure(let failure) = validator.validateRequest(Array(Self.valid.utf8)) else {
            Issue.record("oversized record must be rejected")
            return
        }
        #expect(failure.code == .recordTooLarge)
    }

    @Test func invalidUTF8() {
        var bytes = Array(Self.valid.utf8)
        let index = bytes.firstIndex(of: UInt8(ascii: "P"))!
        bytes[index] = 0xFF
        guard case .failure(let failure) = RequestValidator().validateRequest(bytes) else {
            Issue.record("invalid UTF-8 must be rejected")
            return
        }
        #expect(failure.code == .invalidUTF8)
    }

    @Test func namesEveryProblemAtOnceWithoutPersonalData() {
        let text = #"""
            {"type":"referral","id":"r-2","submittedAt":"soon","source":{},
             "client":{"ref":"Matti Meikäläinen 131052-308T","ageYears":40,"municipality":"Lahti"},
             "need":{"concerns":["Matti's homework"],"urgency":"hurry-77","severity":"mild"}}
            """#
        guard case .failure(let failure) = RequestValidator().validateRequest(Array(text.utf8)) else {
            Issue.record("must be rejected")
            return
        }
        let codes = Set(failure.problems.map(\.code))
        #expect(
            codes == [.badTimestamp, .missingField, .personalIdentityCode, .ageOutOfRange, .badMunicipalityFormat, .unknownConcern, .unknownEnumValue])
        #expect(failure.id == "r-2")
        for forbidden in ["Matti", "131052", "homework", "Lahti", "hurry", "soon", "40"] {
            #expect(!failure.reason.contains(forbidden), "the reason must not echo input values (\(forbidden))")
        }
    }

    @Test func anonymousConsultationNeedsNoClient() throws {
        let text = #"""
            {"type":"consultation","id":"q-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"intake"},
             "need":{"concerns":["neuropsychiatric"],"urgency":"new_concern","severity":"moderate"},
             "consultation":{"caseOwnerTeam":"ph-fc-heinola","question":"Miten tukea?"}}
            """#
        let request = try RequestValidator().validateRequest(Array(text.utf8)).get()
        #expect(request.isAnonymous)
        #expect(request.consultation?.question == "Miten tukea?")
    }

    @Test func consultationNeedsItsBlock() {
        let text = #"""
            {"type":"consultation","id":"q-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"intake"},
             "need":{"concerns":["neuropsychiatric"],"urgency":"new_concern","severity":"moderate"}}
            """#
        guard case .failure(let failure) = RequestValidator().validateRequest(Array(text.utf8)) else {
            Issue.record("must be rejected")
            return
        }
        #expect(failure.problems.map(\.field) == ["consultation"])
    }

    @Test(arguments: [
        (#"{"referralId":"r-1","status":"first_contact","at":"2026-11-17T10:00:00+02:00","team":"ph-fc-heinola"}"#, true),
        (#"{"referralId":"r-1","status":"reassigned","at":"2026-11-17T10:00:00+02:00","team":"ph-fc-hartola"}"#, true),
        (#"{"referralId":"r-1","status":"reassigned","at":"2026-11-17T10:00:00+02:00"}"#, false),
        (#"{"referralId":"r-1","status":"lost","at":"2026-11-17T10:00:00+02:00"}"#, false),
        (#"{"referralId":"r 1","status":"closed","at":"2026-11-17T10:00:00+02:00"}"#, false),
    ])
    func statusUpdates(text: String, valid: Bool) {
        let result = RequestValidator().validateStatus(Array(text.utf8))
        if case .success(let update) = result {
            #expect(valid)
            if update.status == .reassigned {
                #expect(update.newTeam == "ph-fc-hartola")
            }
        } else {
            #expect(!valid)
        }
    }
}
