/// Checks a steering configuration for everything decisions rely on, collecting every problem with its location.
struct ConfigurationValidator {
    private(set) var problems: [ConfigurationProblem] = []

    private mutating func problem(_ file: String, _ path: [ConfigurationPathComponent], _ message: String) {
        self.problems.append(ConfigurationProblem(ConfigurationLocation(file: file, path: path), message))
    }

    private static func isLanguage(_ code: String) -> Bool {
        code.utf8.count == 2 && code.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }

    mutating func validate(
        regions: [(source: String, configuration: RegionConfiguration)],
        rules: (source: String, configuration: RulesConfiguration),
        slaPolicies: Set<String>?
    ) {
        var regionIds: [String: String] = [:]
        var municipalityOwners: [String: String] = [:]
        var teamOwners: [String: String] = [:]
        var schoolOwners: [String: String] = [:]
        if regions.isEmpty {
            self.problem(rules.source, [], "no region is configured")
        }
        for (source, region) in regions {
            let id = region.region.id
            if let other = regionIds[id] {
                self.problem(source, [.key("region"), .key("id")], "region id '\(id)' is also used in \(other)")
            }
            regionIds[id] = source
            self.validate(region: region, source: source)
            for (index, municipality) in region.municipalities.enumerated() {
                if let other = municipalityOwners[municipality.code] {
                    self.problem(
                        source, [.key("municipalities"), .index(index), .key("code")],
                        "municipality \(municipality.code) is already configured in \(other)")
                }
                municipalityOwners[municipality.code] = source
            }
            for (index, team) in region.teams.enumerated() {
                if let other = teamOwners[team.id] {
                    self.problem(
                        source, [.key("teams"), .index(index), .key("id")], "team id '\(team.id)' is also used in \(other)")
                }
                teamOwners[team.id] = source
            }
            for (index, school) in (region.schools ?? []).enumerated() {
                if let other = schoolOwners[school.id] {
                    self.problem(
                        source, [.key("schools"), .index(index), .key("id")],
                        "school id '\(school.id)' is also used in \(other)")
                }
                schoolOwners[school.id] = source
            }
        }
        let config = rules.configuration
        if regionIds[config.fallbackRegion] == nil {
            self.problem(rules.source, [.key("fallbackRegion")], "fallbackRegion '\(config.fallbackRegion)' is not a configured region")
        }
        var ruleIds: Set<String> = []
        let tables: [(String, [Rule], Bool)] = [
            ("ownerRules", config.ownerRules, true),
            ("consultationRules", config.consultationRules, false),
            ("consultationRequestRules", config.consultationRequestRules, false),
        ]
        if config.ownerRules.isEmpty {
            self.problem(rules.source, [.key("ownerRules")], "at least one owner rule is required")
        } else if !config.ownerRules[config.ownerRules.count - 1].when.isEmpty {
            self.problem(
                rules.source, [.key("ownerRules"), .index(config.ownerRules.count - 1)],
                "the last owner rule must have an empty condition, so that every request gets an owner")
        }
        for (table, list, isOwner) in tables {
            for (index, rule) in list.enumerated() {
                let path: [ConfigurationPathComponent] = [.key(table), .index(index)]
                if !Identifier.isValid(rule.id) {
                    self.problem(rules.source, path + [.key("id")], "rule id '\(rule.id)' is not a valid id")
                }
                if !ruleIds.insert(rule.id).inserted {
                    self.problem(rules.source, path + [.key("id")], "rule id '\(rule.id)' is used twice")
                }
                if rule.reason.isEmpty {
                    self.problem(rules.source, path + [.key("reason")], "every rule needs a human reason")
                }
                switch (rule.unitType, rule.byAge) {
                case (nil, nil):
                    self.problem(rules.source, path, "a rule names a unitType or byAge branches")
                case (.some, .some):
                    self.problem(rules.source, path, "a rule names either unitType or byAge, not both")
                case (nil, .some(let branches)):
                    if branches.isEmpty {
                        self.problem(rules.source, path + [.key("byAge")], "byAge needs at least one branch")
                    }
                    for (branchIndex, branch) in branches.enumerated() {
                        for other in branches[..<branchIndex]
                        where other.ages.lowerBound <= branch.ages.upperBound
                            && branch.ages.lowerBound <= other.ages.upperBound
                        {
                            self.problem(
                                rules.source, path + [.key("byAge"), .index(branchIndex), .key("ages")],
                                "ages \(branch.ages) overlap an earlier branch (\(other.ages))")
                        }
                        if let sla = branch.sla {
                            self.checkPolicy(sla, slaPolicies, rules.source, path + [.key("byAge"), .index(branchIndex), .key("sla")])
                        }
                    }
                case (.some, nil):
                    break
                }
                if isOwner {
                    if rule.sla == nil, rule.byAge.map({ $0.contains { $0.sla == nil } }) ?? true {
                        self.problem(rules.source, path + [.key("sla")], "every owner rule names the SLA policy it starts")
                    }
                    if rule.unitTypes.contains(.triage) {
                        self.problem(rules.source, path, "triage is the fallback owner, not a rule target")
                    }
                } else {
                    if rule.unitTypes.contains(where: { $0.level != .specialist }) {
                        self.problem(rules.source, path, "consultations go to specialist unit types only")
                    }
                }
                if let sla = rule.sla {
                    self.checkPolicy(sla, slaPolicies, rules.source, path + [.key("sla")])
                }
                self.validate(condition: rule.when, source: rules.source, path: path + [.key("when")])
            }
        }
        if let policy = config.consultationPolicy {
            self.checkPolicy(policy, slaPolicies, rules.source, [.key("consultationPolicy")])
        }
    }

    private mutating func checkPolicy(
        _ id: String,
        _ policies: Set<String>?,
        _ source: String,
        _ path: [ConfigurationPathComponent]
    ) {
        if let policies, !policies.contains(id) {
            self.problem(source, path, "SLA policy '\(id)' is not defined in sla-policies.yaml")
        }
    }

    private mutating func validate(condition: RuleCondition, source: String, path: [ConfigurationPathComponent]) {
        let lists: [(String, Int?)] = [
            ("type", condition.type?.count), ("urgency", condition.urgency?.count),
            ("severity", condition.severity?.count), ("concerns", condition.concerns?.count),
            ("anyOf", condition.anyOf?.count),
        ]
        for (key, count) in lists where count == 0 {
            self.problem(source, path + [.key(key)], "an empty list never matches; remove the key instead")
        }
        for (index, nested) in (condition.anyOf ?? []).enumerated() {
            self.validate(condition: nested, source: source, path: path + [.key("anyOf"), .index(index)])
        }
    }

    private mutating func validate(region configuration: RegionConfiguration, source: String) {
        let info = configuration.region
        if !Identifier.isValid(info.id) {
            self.problem(source, [.key("region"), .key("id")], "region id '\(info.id)' is not a valid id")
        }
        if info.languages.isEmpty {
            self.problem(source, [.key("region"), .key("languages")], "a region declares at least one language")
        }
        for (index, language) in info.languages.enumerated() where !Self.isLanguage(language) {
            self.problem(source, [.key("region"), .key("languages"), .index(index)], "'\(language)' is not an ISO 639-1 code")
        }
        var areaIds: Set<String> = []
        for (index, area) in configuration.areas.enumerated() {
            if !Identifier.isValid(area.id) {
                self.problem(source, [.key("areas"), .index(index), .key("id")], "area id '\(area.id)' is not a valid id")
            }
            if !areaIds.insert(area.id).inserted {
                self.problem(source, [.key("areas"), .index(index), .key("id")], "area id '\(area.id)' is used twice")
            }
        }
        var teamIds: [String: RegionConfiguration.Team] = [:]
        for (index, team) in configuration.teams.enumerated() {
            let path: [ConfigurationPathComponent] = [.key("teams"), .index(index)]
            if !Identifier.isValid(team.id) {
                self.problem(source, path + [.key("id")], "team id '\(team.id)' is not a valid id")
            }
            teamIds[team.id] = team
            if team.capacity <= 0 {
                self.problem(source, path + [.key("capacity")], "capacity must be a positive number of open cases")
            }
            if team.languages.isEmpty {
                self.problem(source, path + [.key("languages")], "a team works in at least one language")
            }
            for (languageIndex, language) in team.languages.enumerated() where !Self.isLanguage(language) {
                self.problem(source, path + [.key("languages"), .index(languageIndex)], "'\(language)' is not an ISO 639-1 code")
            }
            if team.unitType.isAreaBased {
                if (team.areas ?? []).isEmpty {
                    self.problem(source, path + [.key("areas")], "a \(team.unitType.rawValue) team names the areas it serves")
                }
                for (areaIndex, area) in (team.areas ?? []).enumerated() where !areaIds.contains(area) {
                    self.problem(source, path + [.key("areas"), .index(areaIndex)], "area '\(area)' is not defined in this region")
                }
            } else if team.areas != nil {
                self.problem(source, path + [.key("areas")], "only area-based teams (family_centre, youth_low_threshold) name areas")
            }
        }
        if let triage = teamIds[info.triageTeam] {
            if triage.unitType != .triage {
                self.problem(source, [.key("region"), .key("triageTeam")], "team '\(info.triageTeam)' is not of unit type triage")
            }
        } else {
            self.problem(source, [.key("region"), .key("triageTeam")], "triage team '\(info.triageTeam)' is not defined in this region")
        }
        for (index, municipality) in configuration.municipalities.enumerated() {
            let path: [ConfigurationPathComponent] = [.key("municipalities"), .index(index)]
            if municipality.code.utf8.count != 3 || !municipality.code.utf8.allSatisfy(\.isASCIIDigit) {
                self.problem(source, path + [.key("code")], "a municipality code is 3 digits, quoted in YAML (\"098\")")
            }
            if municipality.area == nil, (municipality.postalAreas ?? []).isEmpty {
                self.problem(source, path, "municipality \(municipality.code) has no area")
            }
            if let area = municipality.area, !areaIds.contains(area) {
                self.problem(source, path + [.key("area")], "area '\(area)' is not defined in this region")
            }
            var ranges: [(PostalCodeRange, Int, Int)] = []
            for (postalIndex, postalArea) in (municipality.postalAreas ?? []).enumerated() {
                let postalPath = path + [.key("postalAreas"), .index(postalIndex)]
                if !areaIds.contains(postalArea.area) {
                    self.problem(source, postalPath + [.key("area")], "area '\(postalArea.area)' is not defined in this region")
                }
                for (rangeIndex, range) in postalArea.postalCodes.enumerated() {
                    for (other, otherArea, _) in ranges where other.overlaps(range) {
                        self.problem(
                            source, postalPath + [.key("postalCodes"), .index(rangeIndex)],
                            "postal codes \(range) overlap \(other) of postalAreas[\(otherArea)]")
                    }
                    ranges.append((range, postalIndex, rangeIndex))
                }
            }
        }
        for (index, school) in (configuration.schools ?? []).enumerated() {
            let path: [ConfigurationPathComponent] = [.key("schools"), .index(index)]
            if !Identifier.isValid(school.id) {
                self.problem(source, path + [.key("id")], "school id '\(school.id)' is not a valid id")
            }
            if !configuration.municipalities.contains(where: { $0.code == school.municipality }) {
                self.problem(source, path + [.key("municipality")], "municipality \(school.municipality) is not in this region")
            }
            if let team = teamIds[school.team] {
                if team.unitType != .schoolWelfare {
                    self.problem(source, path + [.key("team")], "team '\(school.team)' is not a school_welfare team")
                }
            } else {
                self.problem(source, path + [.key("team")], "team '\(school.team)' is not defined in this region")
            }
        }
    }
}
