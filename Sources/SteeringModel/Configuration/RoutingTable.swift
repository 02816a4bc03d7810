/// The validated, indexed steering configuration: regions, their organisation and the decision table.
///
/// It is built once per configuration version and then only read, so one instance is shared by every record.
/// Building it validates everything that decisions rely on; an invalid configuration never becomes a table.
public struct RoutingTable: Sendable {
    /// A region with its source file, indexed for lookups.
    ///
    /// A class: every decision holds its region while resolving teams, and copying a structure of this many
    /// references cost a retain and a release of each.
    public final class Region: Sendable {
        public let configuration: RegionConfiguration
        public let source: String
        let teamsByType: [UnitType: [RegionConfiguration.Team]]
        /// Validated at load: the triage team exists and is of type triage.
        public let triageTeam: RegionConfiguration.Team

        init(configuration: RegionConfiguration, source: String) {
            self.configuration = configuration
            self.source = source
            self.teamsByType = Dictionary(grouping: configuration.teams, by: \.unitType)
            self.triageTeam = configuration.teams.first { $0.id == configuration.region.triageTeam }!
        }

        public var id: String { self.configuration.region.id }
        public var name: String { self.configuration.region.name }

        public func teams(of unitType: UnitType) -> [RegionConfiguration.Team] {
            self.teamsByType[unitType] ?? []
        }
    }

    /// The content hash of the configuration (`steeringModelVersion` in decisions).
    public let version: String
    public let regions: [Region]
    public let rules: RulesConfiguration
    public let rulesSource: String

    let regionIndexByMunicipality: [String: Int]
    let regionIndexById: [String: Int]
    let teamsById: [String: (region: Int, team: RegionConfiguration.Team)]
    let schoolsById: [String: (region: Int, school: RegionConfiguration.School)]

    /// Validates and indexes a configuration.
    ///
    /// - Parameters:
    ///   - regions: each region's configuration with the file it came from.
    ///   - rules: the decision table with the file it came from.
    ///   - version: the content hash of all configuration files.
    ///   - slaPolicies: the SLA policy ids that exist; rules naming others are rejected. `nil` skips the check.
    /// - Throws: ``ConfigurationError`` listing every problem found.
    public init(
        regions: [(source: String, configuration: RegionConfiguration)],
        rules: (source: String, configuration: RulesConfiguration),
        version: String,
        slaPolicies: Set<String>? = nil
    ) throws(ConfigurationError) {
        var validator = ConfigurationValidator()
        validator.validate(regions: regions, rules: rules, slaPolicies: slaPolicies)
        guard validator.problems.isEmpty else {
            throw ConfigurationError(problems: validator.problems)
        }
        self.version = version
        self.rules = rules.configuration
        self.rulesSource = rules.source
        var indexedRegions: [Region] = []
        var byMunicipality: [String: Int] = [:]
        var byId: [String: Int] = [:]
        var teams: [String: (Int, RegionConfiguration.Team)] = [:]
        var schools: [String: (Int, RegionConfiguration.School)] = [:]
        for (index, region) in regions.enumerated() {
            let configuration = region.configuration
            indexedRegions.append(
                Region(configuration: configuration, source: region.source)
            )
            byId[configuration.region.id] = index
            for municipality in configuration.municipalities {
                byMunicipality[municipality.code] = index
            }
            for team in configuration.teams {
                teams[team.id] = (index, team)
            }
            for school in configuration.schools ?? [] {
                schools[school.id] = (index, school)
            }
        }
        self.regions = indexedRegions
        self.regionIndexByMunicipality = byMunicipality
        self.regionIndexById = byId
        self.teamsById = teams
        self.schoolsById = schools
    }

    public func region(id: String) -> Region? {
        self.regionIndexById[id].map { self.regions[$0] }
    }

    public func region(forMunicipality code: String) -> Region? {
        self.regionIndexByMunicipality[code].map { self.regions[$0] }
    }

    public func team(id: String) -> (region: Region, team: RegionConfiguration.Team)? {
        self.teamsById[id].map { (self.regions[$0.region], $0.team) }
    }

    public func school(id: String) -> (region: Region, school: RegionConfiguration.School)? {
        self.schoolsById[id].map { (self.regions[$0.region], $0.school) }
    }

    public var fallbackRegion: Region {
        // Validated at load.
        self.region(id: self.rules.fallbackRegion)!
    }

    /// Every SLA policy id the rules name.
    public var policyIds: Set<String> {
        var ids = Set<String>()
        for rule in self.rules.ownerRules {
            if let sla = rule.sla { ids.insert(sla) }
            for branch in rule.byAge ?? [] {
                if let sla = branch.sla { ids.insert(sla) }
            }
        }
        if let policy = self.rules.consultationPolicy { ids.insert(policy) }
        return ids
    }
}
