import struct Foundation.Date

/// What `check-config` prints: coverage findings about a valid configuration.
///
/// Validation rejects configurations that cannot work; coverage finds the ones that work but leave gaps: a
/// municipality without a family centre, a unit type a rule names that a region lacks, a declared language
/// without a team at some level, rules that no request can reach.
public struct CoverageReport: Sendable {
    public enum FindingSeverity: String, Sendable {
        case warning
        case info
    }

    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public var severity: FindingSeverity
        public var message: String

        public var description: String {
            "\(self.severity.rawValue): \(self.message)"
        }
    }

    public private(set) var findings: [Finding] = []
    /// How many owner rules each rule id won in the exhaustive enumeration.
    public private(set) var ruleHits: [String: Int] = [:]
    public private(set) var enumeratedRequests = 0

    public var warnings: [Finding] { self.findings.filter { $0.severity == .warning } }

    public init(table: RoutingTable) {
        self.checkRegions(table)
        self.checkRuleTargets(table)
        self.checkReachability(table)
    }

    private mutating func warn(_ message: String) {
        self.findings.append(Finding(severity: .warning, message: message))
    }

    private mutating func checkRegions(_ table: RoutingTable) {
        for region in table.regions {
            let configuration = region.configuration
            // Every municipality (and every split part) reaches a family centre.
            for municipality in configuration.municipalities {
                var areas = Set((municipality.postalAreas ?? []).map(\.area))
                if let area = municipality.area { areas.insert(area) }
                for area in areas.sorted() {
                    let hasFamilyCentre = region.teams(of: .familyCentre).contains { ($0.areas ?? []).contains(area) }
                    if !hasFamilyCentre {
                        self.warn("region \(region.id): area \(area) (municipality \(municipality.code)) has no family_centre team")
                    }
                    let youth = region.teams(of: .youthLowThreshold).filter { ($0.areas ?? []).contains(area) }
                    if youth.isEmpty {
                        self.warn("region \(region.id): area \(area) has no youth_low_threshold team")
                    }
                }
            }
            // Every declared language has a team at each level.
            for language in configuration.region.languages {
                for level in [ServiceLevel.familyCentre, .schoolWelfare, .specialist] {
                    let teams = configuration.teams.filter { $0.unitType.level == level && $0.languages.contains(language) }
                    if teams.isEmpty {
                        self.warn("region \(region.id): no \(level.rawValue) team works in '\(language)'")
                    }
                }
                for area in configuration.areas {
                    let serves = region.teams(of: .familyCentre).contains {
                        ($0.areas ?? []).contains(area.id) && $0.languages.contains(language)
                    }
                    if !serves {
                        self.findings.append(
                            Finding(
                                severity: .info,
                                message:
                                    "region \(region.id): area \(area.id) has no family centre working in '\(language)'; such clients are served in another language and decisions say so"
                            ))
                    }
                }
            }
        }
    }

    private mutating func checkRuleTargets(_ table: RoutingTable) {
        let allRules =
            table.rules.ownerRules.map { ($0, "owner") } + table.rules.consultationRules.map { ($0, "consultation") }
            + table.rules.consultationRequestRules.map { ($0, "consultation request") }
        for region in table.regions {
            for (rule, kind) in allRules {
                if let unitType = rule.unitType, unitType != .schoolWelfare, !unitType.isAreaBased {
                    let teams = region.teams(of: unitType)
                    if teams.isEmpty {
                        self.warn("region \(region.id): \(kind) rule \(rule.id) names \(unitType.rawValue), which the region lacks")
                    } else if let ages = rule.when.ages {
                        for age in ages.lowerBound...ages.upperBound where !teams.contains(where: { $0.serves(age: age) }) {
                            self.warn("region \(region.id): \(kind) rule \(rule.id): no \(unitType.rawValue) team serves age \(age)")
                        }
                    }
                }
                for branch in rule.byAge ?? [] where branch.unitType != .schoolWelfare && !branch.unitType.isAreaBased {
                    let teams = region.teams(of: branch.unitType)
                    for age in branch.ages.lowerBound...branch.ages.upperBound
                    where !teams.contains(where: { $0.serves(age: age) }) {
                        self.warn(
                            "region \(region.id): \(kind) rule \(rule.id) sends age \(age) to \(branch.unitType.rawValue), which no team there serves"
                        )
                        break
                    }
                }
            }
        }
    }

    /// Enumerates every combination of type, urgency, severity, single concern, age 0–25 and school/no school, and
    /// records which owner rule wins each. A rule that never wins is unreachable: an earlier rule shadows it.
    private mutating func checkReachability(_ table: RoutingTable) {
        let engine = SteeringEngine(table: table)
        var hits: [String: Int] = [:]
        var consultationHits: [String: Int] = [:]
        var requestRuleHits: [String: Int] = [:]
        var count = 0
        let epoch = Date(timeIntervalSince1970: 0)
        for type in RequestType.allCases {
            let rules = type == .referral ? table.rules.ownerRules : table.rules.consultationRequestRules
            for urgency in Urgency.allCases {
                for severity in SteeringModel.Severity.allCases {
                    for concern in Concern.allCases {
                        for age in 0...25 {
                            for school in [nil, "x"] as [String?] {
                                count += 1
                                let request = ReferralRequest(
                                    type: type, id: "coverage", submittedAt: epoch, source: .init(system: "coverage"),
                                    client: .init(ref: "c", ageYears: age, schoolId: school),
                                    need: .init(concerns: [concern], urgency: urgency, severity: severity))
                                for rule in rules {
                                    guard engine.evaluate(rule.when, request).0,
                                        SteeringEngine.target(of: rule, age: age) != nil
                                    else { continue }
                                    if type == .referral { hits[rule.id, default: 0] += 1 } else {
                                        requestRuleHits[rule.id, default: 0] += 1
                                    }
                                    break
                                }
                                if type == .referral {
                                    for rule in table.rules.consultationRules
                                    where engine.evaluate(rule.when, request).0
                                        && SteeringEngine.target(of: rule, age: age) != nil
                                    {
                                        consultationHits[rule.id, default: 0] += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.enumeratedRequests = count
        self.ruleHits = hits
        for rule in table.rules.ownerRules where hits[rule.id] == nil {
            self.warn("owner rule \(rule.id) is unreachable: earlier rules match every request it would match")
        }
        for rule in table.rules.consultationRules where consultationHits[rule.id] == nil {
            self.warn("consultation rule \(rule.id) never matches")
        }
        for rule in table.rules.consultationRequestRules where requestRuleHits[rule.id] == nil {
            self.warn("consultation-request rule \(rule.id) is unreachable")
        }
    }
}
