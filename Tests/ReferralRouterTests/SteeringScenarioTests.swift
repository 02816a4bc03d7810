import Foundation
import ReferralRouter
import SteeringModel
import Testing

/// The shipped configuration (`config/steering`), loaded once for all scenario tests.
enum ShippedConfiguration {
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/steering").path
    }()

    static let configuration: SteeringConfiguration = {
        do {
            return try SteeringConfiguration.load(directory: directory)
        } catch {
            fatalError("the shipped configuration must load: \(error)")
        }
    }()
}

/// A request for a scenario, written as the fields that matter.
struct RequestSpec: Sendable {
    var type = "referral"
    var id = "scenario-1"
    var ref: String? = "pseud-001"
    var age: Int? = 8
    var municipality: String? = "398"
    var postalCode: String? = nil
    var language: String? = nil
    var school: String? = nil
    var concerns: [String] = ["parenting"]
    var urgency = "new_concern"
    var severity = "mild"
    var caseOwnerTeam: String? = nil
    var requestedUnitType: String? = nil
    var withClient = true

    var json: String {
        var client: [String] = []
        if let ref { client.append("\"ref\":\"\(ref)\"") }
        if let age { client.append("\"ageYears\":\(age)") }
        if let municipality { client.append("\"municipality\":\"\(municipality)\"") }
        if let postalCode { client.append("\"postalCode\":\"\(postalCode)\"") }
        if let language { client.append("\"language\":\"\(language)\"") }
        if let school { client.append("\"schoolId\":\"\(school)\"") }
        var fields = [
            "\"type\":\"\(type)\"", "\"id\":\"\(id)\"", "\"submittedAt\":\"2026-11-16T09:30:00+02:00\"",
            "\"source\":{\"system\":\"test-intake\"}",
        ]
        if self.withClient {
            fields.append("\"client\":{\(client.joined(separator: ","))}")
        }
        let concerns = self.concerns.map { "\"\($0)\"" }.joined(separator: ",")
        fields.append("\"need\":{\"concerns\":[\(concerns)],\"urgency\":\"\(urgency)\",\"severity\":\"\(severity)\"}")
        if type == "consultation" {
            var consultation: [String] = ["\"question\":\"Miten tukea perhettä?\""]
            if let caseOwnerTeam { consultation.append("\"caseOwnerTeam\":\"\(caseOwnerTeam)\"") }
            if let requestedUnitType { consultation.append("\"requestedUnitType\":\"\(requestedUnitType)\"") }
            fields.append("\"consultation\":{\(consultation.joined(separator: ","))}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var request: RequestSpec
    var owner: String
    var consults: [String] = []
    var policy: String?
    var languageMatched = true
    var ownerRule: String?
    var loads: [String: Int] = [:]

    var testDescription: String { self.name }
}

@Suite("Steering scenarios on the shipped configuration")
struct SteeringScenarioTests {
    static let scenarios: [Scenario] = [
        // Owner rule 1: emergency.
        Scenario(
            name: "emergency goes to the on-call service", request: RequestSpec(concerns: ["parenting"], urgency: "emergency"),
            owner: "ph-sosiaalipaivystys", policy: "emergency", ownerRule: "R1-emergency"),
        Scenario(
            name: "emergency beats a child-protection concern",
            request: RequestSpec(concerns: ["child_protection"], urgency: "emergency", severity: "severe"),
            owner: "ph-sosiaalipaivystys", policy: "emergency", ownerRule: "R1-emergency"),
        Scenario(
            name: "emergency in Kirkkonummi, Swedish", request: RequestSpec(municipality: "257", language: "sv", urgency: "emergency"),
            owner: "lu-jour", policy: "emergency"),
        Scenario(
            name: "emergency from an unknown municipality keeps its policy at triage",
            request: RequestSpec(municipality: "091", urgency: "emergency"), owner: "ph-triage", policy: "emergency"),
        // Owner rule 2: child protection.
        Scenario(
            name: "child-protection concern", request: RequestSpec(concerns: ["parenting", "child_protection"]),
            owner: "ph-lastensuojelu", policy: "child_protection_notification", ownerRule: "R2-child-protection"),
        Scenario(
            name: "severe domestic violence is a child-protection notification",
            request: RequestSpec(concerns: ["domestic_violence"], severity: "severe"), owner: "ph-lastensuojelu",
            policy: "child_protection_notification", ownerRule: "R2-child-protection"),
        Scenario(
            name: "severe domestic violence with severe mental health: child protection first, no consultation",
            request: RequestSpec(age: 14, concerns: ["domestic_violence", "mental_health"], severity: "severe"),
            owner: "ph-lastensuojelu", policy: "child_protection_notification"),
        Scenario(
            name: "moderate domestic violence stays at the family centre with family-violence consultation",
            request: RequestSpec(concerns: ["domestic_violence"], severity: "moderate"), owner: "ph-fc-lahti-central",
            consults: ["ph-perhevakivalta"], policy: "social_welfare_assessment", ownerRule: "R8-family-centre"),
        Scenario(
            name: "mild domestic violence in Heinola", request: RequestSpec(age: 5, municipality: "111", concerns: ["domestic_violence"]),
            owner: "ph-fc-heinola", consults: ["ph-perhevakivalta"]),
        // Owner rule 3: severe mental health or neuropsychiatric, by age.
        Scenario(
            name: "severe mental health at 12 → child psychiatry", request: RequestSpec(age: 12, concerns: ["mental_health"], severity: "severe"),
            owner: "ph-lastenpsykiatria", policy: "mental_health_under_23", ownerRule: "R3-severe-mental-health"),
        Scenario(
            name: "severe mental health at 13 → adolescent psychiatry",
            request: RequestSpec(age: 13, concerns: ["mental_health"], severity: "severe"), owner: "ph-nuorisopsykiatria",
            policy: "mental_health_under_23"),
        Scenario(
            name: "severe mental health at 22 → adolescent psychiatry",
            request: RequestSpec(age: 22, concerns: ["mental_health"], severity: "severe"), owner: "ph-nuorisopsykiatria",
            policy: "mental_health_under_23"),
        Scenario(
            name: "severe mental health at 23 → youth low-threshold service",
            request: RequestSpec(age: 23, concerns: ["mental_health"], severity: "severe"), owner: "ph-youth-lahti-a",
            policy: "social_welfare_assessment", ownerRule: "R3-severe-mental-health"),
        Scenario(
            name: "severe mental health at 25 in Heinola → the region's youth service",
            request: RequestSpec(age: 25, municipality: "111", concerns: ["mental_health"], severity: "severe"),
            owner: "ph-youth-region"),
        Scenario(
            name: "severe neuropsychiatric at 8 → child psychiatry",
            request: RequestSpec(age: 8, concerns: ["neuropsychiatric"], severity: "severe"), owner: "ph-lastenpsykiatria"),
        Scenario(
            name: "severe neuropsychiatric at 14 with a school → psychiatry before school welfare",
            request: RequestSpec(age: 14, school: "ph-school-kivimaa", concerns: ["neuropsychiatric", "bullying"], severity: "severe"),
            owner: "ph-nuorisopsykiatria"),
        Scenario(
            name: "Swedish-speaking 10-year-old, severe: no Swedish child psychiatry in Kirkkonummi",
            request: RequestSpec(age: 10, municipality: "257", language: "sv", concerns: ["mental_health"], severity: "severe"),
            owner: "lu-lastenpsykiatria", languageMatched: false),
        // Owner rules 4 and 5.
        Scenario(
            name: "severe substance use at 16", request: RequestSpec(age: 16, concerns: ["substance_use"], severity: "severe"),
            owner: "ph-nuorten-paihde", policy: "social_welfare_assessment", ownerRule: "R4-severe-substance-use"),
        Scenario(
            name: "severe substance use at 12 (the unit serves 12–25)",
            request: RequestSpec(age: 12, concerns: ["substance_use"], severity: "severe"), owner: "ph-nuorten-paihde"),
        Scenario(
            name: "severe substance use at 11: no unit serves the age → triage",
            request: RequestSpec(age: 11, concerns: ["substance_use"], severity: "severe"), owner: "ph-triage",
            policy: "social_welfare_assessment", ownerRule: "R4-severe-substance-use"),
        Scenario(
            name: "severe disability at 7 → OT-keskus", request: RequestSpec(age: 7, concerns: ["disability"], severity: "severe"),
            owner: "ph-ot-keskus", ownerRule: "R5-severe-disability"),
        Scenario(
            name: "severe disability at 20 → OT-keskus", request: RequestSpec(age: 20, concerns: ["disability"], severity: "severe"),
            owner: "ph-ot-keskus"),
        // Owner rule 6: school concerns.
        Scenario(
            name: "bullying with a school → that school's team",
            request: RequestSpec(age: 10, school: "ph-school-jalkaranta", concerns: ["bullying"]), owner: "ph-sw-lahti-south",
            policy: "student_welfare", ownerRule: "R6-school"),
        Scenario(
            name: "bullying without a school → family centre", request: RequestSpec(age: 10, postalCode: "15140", concerns: ["bullying"]),
            owner: "ph-fc-lahti-central", ownerRule: "R8-family-centre"),
        Scenario(
            name: "school absence in Heinola", request: RequestSpec(age: 15, municipality: "111", school: "ph-school-heinola", concerns: ["school_absence"]),
            owner: "ph-sw-heinola", policy: "student_welfare"),
        Scenario(
            name: "learning difficulties at an unknown school → triage",
            request: RequestSpec(age: 9, school: "ph-school-nowhere", concerns: ["learning_difficulties"]), owner: "ph-triage",
            policy: "student_welfare", ownerRule: "R6-school"),
        Scenario(
            name: "school well-being at a Swedish-language school",
            request: RequestSpec(age: 11, municipality: "257", language: "sv", school: "lu-school-winellska", concerns: ["school_wellbeing"]),
            owner: "lu-sw-sv"),
        Scenario(
            name: "the school decides even when the home municipality is elsewhere",
            request: RequestSpec(age: 11, municipality: "398", language: "sv", school: "lu-school-winellska", concerns: ["bullying"]),
            owner: "lu-sw-sv"),
        Scenario(
            name: "severe bullying with a school still goes to school welfare",
            request: RequestSpec(age: 12, school: "ph-school-kartano", concerns: ["bullying"], severity: "severe"),
            owner: "ph-sw-lahti-north"),
        Scenario(
            name: "Kärkölä pupil shares Hollola's team",
            request: RequestSpec(age: 8, municipality: "316", school: "ph-school-karkola", concerns: ["learning_difficulties"]),
            owner: "ph-sw-hollola"),
        // Owner rule 7: youth 13–25 with mental health or substance use, and the boundaries.
        Scenario(
            name: "mild mental health at 12 → family centre", request: RequestSpec(age: 12, concerns: ["mental_health"]),
            owner: "ph-fc-lahti-central", ownerRule: "R8-family-centre"),
        Scenario(
            name: "mild mental health at 13 → youth service", request: RequestSpec(age: 13, concerns: ["mental_health"]),
            owner: "ph-youth-lahti-a", ownerRule: "R7-youth-low-threshold"),
        Scenario(
            name: "mild mental health at 25 → youth service", request: RequestSpec(age: 25, concerns: ["mental_health"]),
            owner: "ph-youth-lahti-a", ownerRule: "R7-youth-low-threshold"),
        Scenario(
            name: "moderate mental health at 15 in Hollola → youth service with adolescent psychiatry",
            request: RequestSpec(age: 15, municipality: "098", concerns: ["mental_health"], severity: "moderate"),
            owner: "ph-youth-region", consults: ["ph-nuorisopsykiatria"]),
        Scenario(
            name: "moderate mental health at 12 → family centre with child psychiatry",
            request: RequestSpec(age: 12, concerns: ["mental_health"], severity: "moderate"), owner: "ph-fc-lahti-central",
            consults: ["ph-lastenpsykiatria"]),
        Scenario(
            name: "moderate mental health at 23: no psychiatric consultation past 22",
            request: RequestSpec(age: 23, concerns: ["mental_health"], severity: "moderate"), owner: "ph-youth-lahti-a"),
        Scenario(
            name: "moderate substance use at 17 → youth service with substance consultation",
            request: RequestSpec(age: 17, concerns: ["substance_use"], severity: "moderate"), owner: "ph-youth-lahti-a",
            consults: ["ph-nuorten-paihde"]),
        Scenario(
            name: "mild substance use at 12 → family centre", request: RequestSpec(age: 12, concerns: ["substance_use"]),
            owner: "ph-fc-lahti-central"),
        Scenario(
            name: "Swedish-speaking 15-year-old in Kirkkonummi: bilingual youth service and psychiatry",
            request: RequestSpec(age: 15, municipality: "257", language: "sv", concerns: ["mental_health"], severity: "moderate"),
            owner: "lu-youth", consults: ["lu-ungdomspsykiatri"]),
        // Owner rule 8 and the areas.
        Scenario(
            name: "parenting in Hartola (pilot area)", request: RequestSpec(municipality: "081"), owner: "ph-fc-hartola",
            policy: "social_welfare_assessment"),
        Scenario(
            name: "parenting in Asikkala (pilot area)", request: RequestSpec(municipality: "016"), owner: "ph-fc-asikkala"),
        Scenario(
            name: "separation in Orimattila", request: RequestSpec(municipality: "560", concerns: ["separation"]),
            owner: "ph-fc-orimattila"),
        Scenario(
            name: "pregnancy and infancy in Padasjoki", request: RequestSpec(age: 0, municipality: "576", concerns: ["pregnancy_infancy"]),
            owner: "ph-fc-padasjoki-sysma"),
        Scenario(
            name: "financial hardship in Sysmä", request: RequestSpec(municipality: "781", concerns: ["financial_hardship"]),
            owner: "ph-fc-padasjoki-sysma"),
        Scenario(
            name: "immigrant family in Iitti", request: RequestSpec(municipality: "142", concerns: ["immigrant_family"]),
            owner: "ph-fc-iitti"),
        Scenario(
            name: "couple relationship in Kärkölä", request: RequestSpec(municipality: "316", concerns: ["couple_relationship"]),
            owner: "ph-fc-hollola-karkola"),
        Scenario(
            name: "Hollola", request: RequestSpec(municipality: "098"), owner: "ph-fc-hollola-karkola"),
        Scenario(
            name: "severe parenting difficulties stay at the family centre", request: RequestSpec(municipality: "111", severity: "severe"),
            owner: "ph-fc-heinola"),
        Scenario(
            name: "Lahti 15210 → southern area, Monitoimitalo Jalo", request: RequestSpec(postalCode: "15210"),
            owner: "ph-fc-lahti-south"),
        Scenario(
            name: "Lahti 15340 → southern area (range end)", request: RequestSpec(postalCode: "15340"), owner: "ph-fc-lahti-south"),
        Scenario(
            name: "Lahti 15560 → Nastola", request: RequestSpec(postalCode: "15560"), owner: "ph-fc-lahti-nastola"),
        Scenario(
            name: "Lahti 15610 → northern area", request: RequestSpec(postalCode: "15610"), owner: "ph-fc-lahti-north"),
        Scenario(
            name: "Lahti 15990 (in no range) → the default area", request: RequestSpec(postalCode: "15990"),
            owner: "ph-fc-lahti-central"),
        Scenario(
            name: "Lahti without a postal code → the default area", request: RequestSpec(postalCode: nil),
            owner: "ph-fc-lahti-central"),
        Scenario(
            name: "unknown municipality → triage", request: RequestSpec(municipality: "091"), owner: "ph-triage",
            policy: "social_welfare_assessment"),
        Scenario(
            name: "no municipality → triage", request: RequestSpec(municipality: nil), owner: "ph-triage"),
        Scenario(
            name: "Swedish-speaking family in Kirkkonummi → Familjecentret", request: RequestSpec(municipality: "257", language: "sv"),
            owner: "lu-fc-sv"),
        Scenario(
            name: "Finnish-speaking family in Kirkkonummi → Finnish family centre", request: RequestSpec(municipality: "257"),
            owner: "lu-fc-fi"),
        Scenario(
            name: "Swedish-speaking family in Lahti: no Swedish team, the decision says so",
            request: RequestSpec(language: "sv"), owner: "ph-fc-lahti-central", languageMatched: false),
        // Consultation rules (COLLECT).
        Scenario(
            name: "mild neuropsychiatric in Asikkala → family centre with nepsy",
            request: RequestSpec(age: 9, municipality: "016", concerns: ["neuropsychiatric"]), owner: "ph-fc-asikkala",
            consults: ["ph-nepsy"]),
        Scenario(
            name: "moderate neuropsychiatric and mental health at 10 → two consultations",
            request: RequestSpec(age: 10, concerns: ["neuropsychiatric", "mental_health"], severity: "moderate"),
            owner: "ph-fc-lahti-central", consults: ["ph-nepsy", "ph-lastenpsykiatria"]),
        Scenario(
            name: "moderate disability → family centre with OT-keskus",
            request: RequestSpec(age: 6, concerns: ["disability"], severity: "moderate"), owner: "ph-fc-lahti-central",
            consults: ["ph-ot-keskus"]),
        Scenario(
            name: "moderate substance use and domestic violence at 16 → two consultations",
            request: RequestSpec(age: 16, concerns: ["substance_use", "domestic_violence"], severity: "moderate"),
            owner: "ph-youth-lahti-a", consults: ["ph-nuorten-paihde", "ph-perhevakivalta"]),
        Scenario(
            name: "severe substance use: the owner unit type is never consulted",
            request: RequestSpec(age: 16, concerns: ["substance_use", "neuropsychiatric"], severity: "severe"),
            owner: "ph-nuorisopsykiatria"),
        // Load balancing among equal candidates.
        Scenario(
            name: "equal youth teams: least open load wins", request: RequestSpec(age: 16, concerns: ["mental_health"]),
            owner: "ph-youth-lahti-b", loads: ["ph-youth-lahti-a": 30, "ph-youth-lahti-b": 0]),
        Scenario(
            name: "load is relative to capacity (30/60 < 21/40)", request: RequestSpec(age: 16, concerns: ["mental_health"]),
            owner: "ph-youth-lahti-a", loads: ["ph-youth-lahti-a": 30, "ph-youth-lahti-b": 21]),
        Scenario(
            name: "language comes before load", request: RequestSpec(age: 16, language: "en", concerns: ["mental_health"]),
            owner: "ph-youth-lahti-b", loads: ["ph-youth-lahti-a": 0, "ph-youth-lahti-b": 39]),
        // Consultation requests.
        Scenario(
            name: "consultation naming child psychiatry",
            request: RequestSpec(type: "consultation", concerns: ["mental_health"], caseOwnerTeam: "ph-fc-lahti-south", requestedUnitType: "child_psychiatry"),
            owner: "ph-lastenpsykiatria", consults: ["ph-lastenpsykiatria"], policy: "consultation_response", ownerRule: "requested"),
        Scenario(
            name: "consultation naming the OT-keskus in Kirkkonummi",
            request: RequestSpec(type: "consultation", municipality: "257", concerns: ["disability"], requestedUnitType: "ot_centre"),
            owner: "lu-ot", consults: ["lu-ot"], policy: "consultation_response"),
        Scenario(
            name: "consultation inferred from domestic violence",
            request: RequestSpec(type: "consultation", municipality: "111", concerns: ["domestic_violence"]),
            owner: "ph-perhevakivalta", consults: ["ph-perhevakivalta"], ownerRule: "Q2-domestic-violence"),
        Scenario(
            name: "anonymous consultation: region from the case owner team",
            request: RequestSpec(
                type: "consultation", ref: nil, age: nil, municipality: nil, concerns: ["domestic_violence"],
                caseOwnerTeam: "lu-fc-fi"),
            owner: "lu-perhevakivalta", consults: ["lu-perhevakivalta"], policy: "consultation_response"),
        Scenario(
            name: "anonymous consultation without a client block",
            request: RequestSpec(
                type: "consultation", concerns: ["neuropsychiatric"], caseOwnerTeam: "ph-fc-heinola", withClient: false),
            owner: "ph-nepsy", consults: ["ph-nepsy"], ownerRule: "Q3-neuropsychiatric"),
        Scenario(
            name: "anonymous mental-health consultation without an age → triage",
            request: RequestSpec(
                type: "consultation", ref: nil, age: nil, municipality: nil, concerns: ["mental_health"],
                caseOwnerTeam: "ph-fc-heinola"),
            owner: "ph-triage", consults: ["ph-triage"], ownerRule: "triage"),
        Scenario(
            name: "anonymous mental-health consultation with an age 15 → adolescent psychiatry",
            request: RequestSpec(type: "consultation", ref: nil, age: 15, concerns: ["mental_health"]),
            owner: "ph-nuorisopsykiatria", consults: ["ph-nuorisopsykiatria"]),
        Scenario(
            name: "consultation about parenting infers no specialist → triage",
            request: RequestSpec(type: "consultation", concerns: ["parenting"]), owner: "ph-triage", consults: ["ph-triage"]),
        Scenario(
            name: "Swedish anonymous nepsy consultation: Finnish-only team, the decision says so",
            request: RequestSpec(
                type: "consultation", ref: nil, age: nil, municipality: nil, language: "sv", concerns: ["neuropsychiatric"],
                caseOwnerTeam: "lu-fc-sv"),
            owner: "lu-nepsy", consults: ["lu-nepsy"], languageMatched: false),
        Scenario(
            name: "a nepsy team asking for a nepsy consultation → triage, never back to its own unit type",
            request: RequestSpec(
                type: "consultation", concerns: ["neuropsychiatric"], caseOwnerTeam: "ph-nepsy",
                requestedUnitType: "neuropsychiatric_team"),
            owner: "ph-triage", consults: ["ph-triage"], ownerRule: "triage"),
        Scenario(
            name: "a nepsy team's consultation inferred as nepsy → triage, never back to its own unit type",
            request: RequestSpec(type: "consultation", concerns: ["neuropsychiatric"], caseOwnerTeam: "ph-nepsy"),
            owner: "ph-triage", consults: ["ph-triage"], ownerRule: "triage"),
    ]

    @Test(arguments: Self.scenarios)
    func scenario(_ scenario: Scenario) throws {
        let configuration = ShippedConfiguration.configuration
        let validated = RequestValidator().validateRequest(Array(scenario.request.json.utf8))
        let request = try validated.get()
        let decision = SteeringEngine(table: configuration.table).decide(request, loads: scenario.loads)
        #expect(decision.owner.teamId == scenario.owner)
        #expect(decision.consultations.map(\.teamId) == scenario.consults)
        if let policy = scenario.policy {
            #expect(decision.slaPolicy == policy)
        }
        if let rule = scenario.ownerRule {
            #expect(decision.ownerRuleId == rule)
        }
        #expect(decision.languageMatched == scenario.languageMatched)
        #expect(decision.steeringModelVersion == configuration.version)
        // The owner is never a consultation target of a referral.
        if request.type == .referral {
            #expect(!decision.consultations.contains { $0.unitType == decision.owner.unitType })
        }
        // Triage decisions say why.
        #expect((decision.owner.unitType == .triage) == (decision.owner.triageReason != nil))
    }

    /// A consultation asks a specialist unit on behalf of a configured team: a basic service or triage as the
    /// requested unit type, or a case owner the configuration does not know, is rejected with the field named.
    @Test(arguments: [
        (#""caseOwnerTeam":"ph-fc-lahti-central","requestedUnitType":"family_centre""#, "unknown_enum_value", "consultation.requestedUnitType"),
        (#""caseOwnerTeam":"ph-fc-lahti-central","requestedUnitType":"triage""#, "unknown_enum_value", "consultation.requestedUnitType"),
        (#""caseOwnerTeam":"Matti Meikäläinen","requestedUnitType":"ot_centre""#, "unknown_team", "consultation.caseOwnerTeam"),
    ])
    func consultationsAskASpecialistOnBehalfOfAConfiguredTeam(block: String, code: String, field: String) throws {
        let json = #"{"type":"consultation","id":"q-9","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"t"},"#
            + #""need":{"concerns":["disability"],"urgency":"new_concern","severity":"mild"},"consultation":{"# + block + "}}"
        let result = OfflineRouter(configuration: ShippedConfiguration.configuration).route(Array(json.utf8))
        #expect(result.decision == nil)
        let failure = try #require(result.failure)
        #expect(failure.problems.map(\.code.rawValue) == [code])
        #expect(failure.problems.map(\.field) == [field])
        #expect(!String(decoding: result.json, as: UTF8.self).contains("Matti"), "messages name fields, never values")
    }

    /// A Swedish-speaking child of Kirkkonummi: the owner works in Swedish, the consulted units only in Finnish.
    /// The decision says so for each consultation, as it does for the owner.
    @Test func aConsultationWithoutATeamInTheClientsLanguageSaysSo() throws {
        let spec = RequestSpec(
            age: 9, municipality: "257", language: "sv", concerns: ["neuropsychiatric", "mental_health"], severity: "moderate")
        let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
        let decision = SteeringEngine(table: ShippedConfiguration.configuration.table).decide(request)
        #expect(decision.owner.teamId == "lu-fc-sv" && decision.languageMatched)
        #expect(decision.consultations.map(\.teamId) == ["lu-nepsy", "lu-lastenpsykiatria"])
        let matched = decision.trace.filter { $0.kind == .consultation && $0.matched }
        #expect(matched.count == 2)
        #expect(matched.allSatisfy { $0.reason.contains("no candidate works in 'sv'") }, "\(matched.map(\.reason))")
    }

    /// An anonymous mental-health consultation without an age goes to triage because the unit depends on the
    /// age, and the reason says that, not that the concerns infer no specialist.
    @Test func aConsultationWithoutAnAgeIsTriagedForTheAge() throws {
        let spec = RequestSpec(
            type: "consultation", ref: nil, age: nil, municipality: nil, concerns: ["mental_health"],
            caseOwnerTeam: "ph-fc-lahti-central")
        let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
        let decision = SteeringEngine(table: ShippedConfiguration.configuration.table).decide(request)
        #expect(decision.owner.unitType == .triage)
        let reason = try #require(decision.owner.triageReason)
        #expect(reason.contains("chosen by the client's age"), "\(reason)")
        let parenting = RequestSpec(type: "consultation", concerns: ["parenting"])
        let other = SteeringEngine(table: ShippedConfiguration.configuration.table)
            .decide(try RequestValidator().validateRequest(Array(parenting.json.utf8)).get())
        #expect(other.owner.triageReason?.contains("could be inferred from the concerns") == true)
    }

    @Test func scenarioCountMeetsTheBar() {
        #expect(Self.scenarios.count >= 60)
    }
}
