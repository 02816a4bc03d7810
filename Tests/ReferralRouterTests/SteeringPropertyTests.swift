import Foundation
import ReferralRouter
@testable import SteeringModel
import Testing

typealias SeededGenerator = SyntheticTraffic.Generator

/// Generates valid requests across the whole input space of the shipped configuration.
enum RequestGenerator {
    static let municipalities = ["398", "111", "098", "016", "081", "142", "316", "560", "576", "781", "257", "091", nil]
    static let postalCodes = ["15100", "15140", "15210", "15330", "15560", "15610", "15850", "15990", "02400", nil]
    static let schools = [
        "ph-school-jalkaranta", "ph-school-kivimaa", "ph-school-heinola", "lu-school-winellska", "ph-school-unknown", nil,
        nil, nil,
    ]
    static let languages = ["fi", "fi", "fi", "sv", "sv", "en", nil]
    static let teams = ["ph-fc-heinola", "lu-fc-sv", "ph-sw-east", "unknown-team", nil]

    static func request(_ index: Int, using rng: inout SeededGenerator) -> RequestSpec {
        var spec = RequestSpec()
        spec.id = "gen-\(index)"
        spec.type = Int.random(in: 0..<5, using: &rng) == 0 ? "consultation" : "referral"
        spec.age = Int.random(in: 0...25, using: &rng)
        spec.municipality = Self.municipalities.randomElement(using: &rng)!
        spec.postalCode = Self.postalCodes.randomElement(using: &rng)!
        spec.language = Self.languages.randomElement(using: &rng)!
        spec.school = Self.schools.randomElement(using: &rng)!
        let count = Int.random(in: 1...3, using: &rng)
        spec.concerns = Array(Concern.allCases.shuffled(using: &rng).prefix(count).map(\.rawValue))
        spec.urgency = Urgency.allCases.randomElement(using: &rng)!.rawValue
        spec.severity = Severity.allCases.randomElement(using: &rng)!.rawValue
        if spec.type == "consultation" {
            spec.caseOwnerTeam = Self.teams.randomElement(using: &rng)!
            if Bool.random(using: &rng) {
                spec.ref = nil
                spec.age = Bool.random(using: &rng) ? nil : spec.age
            }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                spec.requestedUnitType =
                    [UnitType.childPsychiatry, .adolescentPsychiatry, .otCentre, .familyViolence, .neuropsychiatricTeam]
                    .randomElement(using: &rng)!.rawValue
            }
        }
        return spec
    }
}

@Suite("Steering properties over generated requests")
struct SteeringPropertyTests {
    @Test(arguments: [1 as UInt64, 2, 3, 4])
    func everyValidRequestGetsExactlyOneOwnerDeterministically(seed: UInt64) throws {
        let table = ShippedConfiguration.configuration.table
        let engine = SteeringEngine(table: table)
        var rng = SeededGenerator(seed: seed)
        var owners: [UnitType: Int] = [:]
        for index in 0..<2500 {
            let spec = RequestGenerator.request(index, using: &rng)
            let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
            let loads = ["ph-youth-lahti-a": Int.random(in: 0...60, using: &rng), "lu-fc-sv": Int.random(in: 0...30, using: &rng)]
            let decision = engine.decide(request, loads: loads)
            // Exactly one owner, and it is a configured team of the decided unit type.
            let team = try #require(table.team(id: decision.owner.teamId), "owner \(decision.owner.teamId) must exist")
            #expect(team.team.unitType == decision.owner.unitType)
            #expect(decision.owner.level == decision.owner.unitType.level)
            #expect(decision.owner.regionId == team.region.id)
            if request.type == .referral {
                // One owner rule matched (FIRST), the owner is never a consultation target, no unit twice.
                #expect(decision.trace.filter { $0.kind == .owner && $0.matched }.count == 1)
                #expect(!decision.consultations.contains { $0.unitType == decision.owner.unitType })
                #expect(Set(decision.consultations.map(\.unitType)).count == decision.consultations.count)
                #expect(decision.slaPolicy != nil)
            } else {
                #expect(decision.consultations.count == 1)
                #expect(decision.consultations.first?.teamId == decision.owner.teamId)
            }
            // Same input and configuration: same decision.
            #expect(engine.decide(request, loads: loads) == decision)
            owners[decision.owner.unitType, default: 0] += 1
        }
        // The generator reaches every kind of owner, so the properties are exercised broadly.
        #expect(owners.count >= 10)
    }

    /// The engine remembers trace texts per rule and request features; a warm engine must tell every request
    /// exactly what an engine that never saw another request tells it.
    @Test(arguments: [5 as UInt64, 6])
    func rememberedTraceTextsAreTheTextsBuiltAfresh(seed: UInt64) throws {
        let table = ShippedConfiguration.configuration.table
        let warm = SteeringEngine(table: table)
        var rng = SeededGenerator(seed: seed)
        var remembered = 0
        for index in 0..<1500 {
            let spec = RequestGenerator.request(index, using: &rng)
            let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
            let loads = ["ph-fc-lahti-south": Int.random(in: 0...9, using: &rng)]
            let decision = warm.decide(request, loads: loads)
            #expect(decision == SteeringEngine(table: table).decide(request, loads: loads), "request \(index)")
            remembered += decision.trace.filter { !$0.matched }.count
        }
        #expect(remembered > 5000, "the requests must reach many failing conditions")
        // Keyed by only what each condition reads, a few hundred texts serve all of them.
        #expect(warm.reasons.rememberedFailures < 600, "\(warm.reasons.rememberedFailures) texts remembered")
    }

    /// `holds` is `evaluate` without its text, for every condition of the shipped rules (alternatives included).
    @Test func holdsAgreesWithEvaluate() throws {
        let table = ShippedConfiguration.configuration.table
        let engine = SteeringEngine(table: table)
        let rules = table.rules.ownerRules + table.rules.consultationRules + table.rules.consultationRequestRules
        var conditions = rules.map(\.when)
        conditions += conditions.flatMap { $0.anyOf ?? [] }
        var rng = SeededGenerator(seed: 7)
        var outcomes: Set<Bool> = []
        for index in 0..<1500 {
            let spec = RequestGenerator.request(index, using: &rng)
            let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
            for condition in conditions {
                let (holds, _) = engine.evaluate(condition, request)
                #expect(engine.holds(condition, request) == holds)
                outcomes.insert(holds)
            }
        }
        #expect(outcomes == [true, false])
    }

    /// The compiled conditions decisions test agree with `holds` for every rule of the shipped lists, and for
    /// conditions made to reach every clause: empty lists, unknown ages, nested and empty alternatives.
    @Test func compiledConditionsAgreeWithHolds() throws {
        let table = ShippedConfiguration.configuration.table
        let engine = SteeringEngine(table: table)
        let made: [RuleCondition] = [
            RuleCondition(),
            RuleCondition(type: []),
            RuleCondition(type: [.consultation]),
            RuleCondition(urgency: [.emergency, .prevention]),
            RuleCondition(urgency: []),
            RuleCondition(severity: [.severe]),
            RuleCondition(concerns: []),
            RuleCondition(concerns: [.bullying, .disability]),
            RuleCondition(ages: AgeRange(0, 6)),
            RuleCondition(ages: AgeRange(13, 25), hasSchool: false),
            RuleCondition(hasSchool: true),
            RuleCondition(anyOf: []),
            RuleCondition(
                severity: [.moderate, .severe],
                anyOf: [
                    RuleCondition(concerns: [.mentalHealth]),
                    RuleCondition(anyOf: [RuleCondition(ages: AgeRange(7, 12)), RuleCondition(type: [.referral])]),
                ]),
        ]
        let madeRules = made.enumerated().map { Rule(id: "made.\($0.offset)", reason: "made", when: $0.element) }
        let lists: [(CompiledConditions, [[Rule]])] = [
            (
                engine.conditions,
                [table.rules.ownerRules, table.rules.consultationRules, table.rules.consultationRequestRules]
            ),
            (
                CompiledConditions(
                    rules: RulesConfiguration(
                        fallbackRegion: "none", ownerRules: madeRules, consultationRules: [],
                        consultationRequestRules: madeRules.reversed())),
                [madeRules, [], madeRules.reversed()]
            ),
        ]
        var rng = SeededGenerator(seed: 11)
        var outcomes: [String: Set<Bool>] = [:]
        for index in 0..<1500 {
            let spec = RequestGenerator.request(index, using: &rng)
            let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
            let features = RequestFeatures(request)
            for (compiled, rules) in lists {
                for (list, listRules) in rules.enumerated() {
                    for (ruleIndex, rule) in listRules.enumerated() {
                        let expected = engine.holds(rule.when, request)
                        #expect(
                            compiled.holds(list: list, index: ruleIndex, features) == expected,
                            "rule \(rule.id) of list \(list), request \(index)")
                        outcomes[rule.id, default: []].insert(expected)
                    }
                }
            }
        }
        // The made conditions that can hold both ways were seen both ways (the generator reaches each clause).
        for rule in madeRules where ![0, 1, 4, 6, 11].contains(Int(rule.id.dropFirst(5))!) {
            #expect(outcomes[rule.id] == [true, false], "\(rule.id): \(outcomes[rule.id] ?? [])")
        }
        for id in ["made.1", "made.4", "made.6", "made.11"] {
            #expect(outcomes[id] == [false], "an empty list never holds")
        }
        #expect(outcomes["made.0"] == [true], "an empty condition always holds")
    }

    /// A condition that reads the age and the school (here the age inside an alternative) must tell an unknown age
    /// with a school from one without: every value a condition reads is part of its memo key.
    @Test func theMemoKeyKeepsEveryValueTheConditionReads() throws {
        let condition = RuleCondition(
            hasSchool: true, anyOf: [RuleCondition(ages: AgeRange(0, 12)), RuleCondition(concerns: [.disability])])
        let reads = ConditionReads(condition)
        var rng = SeededGenerator(seed: 8)
        var keys: [Bool: Set<UInt64>] = [:]
        var texts: [Bool: Set<String>] = [:]
        let engine = SteeringEngine(table: ShippedConfiguration.configuration.table)
        for index in 0..<3000 {
            let spec = RequestGenerator.request(index, using: &rng)
            let request = try RequestValidator().validateRequest(Array(spec.json.utf8)).get()
            guard request.client.ageYears == nil, !request.need.has(.disability) else { continue }
            let features = RequestFeatures(request)
            let key = try #require(features.key(reading: reads))
            keys[features.hasSchool, default: []].insert(key)
            texts[features.hasSchool, default: []].insert(engine.evaluate(condition, request).1)
        }
        // Both kinds occur, they are told different texts, and so they must have different keys.
        #expect(texts[true] != nil && texts[false] != nil)
        #expect(texts[true]!.isDisjoint(with: texts[false]!))
        #expect(keys[true]!.isDisjoint(with: keys[false]!))
    }
}
