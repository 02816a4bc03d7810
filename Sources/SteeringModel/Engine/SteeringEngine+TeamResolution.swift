/// Team resolution inside a level: area (municipality, then postal code), school, region and age range; then
/// language; then least open load among equal candidates. What cannot be resolved goes to the region's triage team.
extension SteeringEngine {
    /// Where the client is, as far as the configuration knows.
    struct Location {
        var region: RoutingTable.Region
        var municipality: RegionConfiguration.Municipality?
        /// Why no region could be found from the request, when the fallback region is used.
        var unresolved: String?
    }

    struct ResolvedOwner {
        var owner: Decision.Owner
        var region: RoutingTable.Region
        var languageMatched: Bool
    }

    func locate(_ request: ReferralRequest) -> Location {
        if let code = request.client.municipality {
            if let region = self.table.region(forMunicipality: code) {
                let municipality = region.configuration.municipalities.first { $0.code == code }
                return Location(region: region, municipality: municipality)
            }
            return Location(
                region: self.table.fallbackRegion, municipality: nil,
                unresolved: "municipality \(code) is not served by any configured region")
        }
        if let schoolId = request.client.schoolId, let school = self.table.school(id: schoolId) {
            let municipality = school.region.configuration.municipalities.first { $0.code == school.school.municipality }
            return Location(region: school.region, municipality: municipality)
        }
        if let owner = request.consultation?.caseOwnerTeam, let team = self.table.team(id: owner) {
            return Location(region: team.region, municipality: nil)
        }
        return Location(
            region: self.table.fallbackRegion, municipality: nil, unresolved: "the request names no municipality")
    }

    func resolveOwner(
        _ unitType: UnitType,
        _ request: ReferralRequest,
        location: Location,
        loads: [String: Int],
        keeping: String? = nil,
        trace: inout [Decision.TraceEntry]
    ) -> ResolvedOwner {
        var region = location.region
        let age = request.client.ageYears
        let language = request.client.language
        var area: String?
        // The unit type's teams of the region, and which of them are candidates (read in place, see `pick`).
        let teams: [RegionConfiguration.Team]
        let candidacy: Candidacy
        // What the trace's text says the team was chosen by.
        let basis: Basis
        switch unitType {
        case .familyCentre, .youthLowThreshold:
            if let unresolved = location.unresolved {
                return self.triage(region, because: unresolved, language: language, trace: &trace)
            }
            guard let municipality = location.municipality else {
                return self.triage(region, because: "the request names no municipality", language: language, trace: &trace)
            }
            switch Self.area(of: municipality, postalCode: request.client.postalCode) {
            case .failure(let failure):
                return self.triage(region, because: failure.reason, language: language, trace: &trace)
            case .success(let found):
                area = found.area
                basis = .area(found.basis, municipality: municipality.code, area: found.area)
                candidacy = .area(found.area, age: age)
            }
            teams = region.teams(of: unitType)
        case .schoolWelfare:
            guard let schoolId = request.client.schoolId else {
                return self.triage(region, because: "the client names no school", language: language, trace: &trace)
            }
            guard let school = self.table.school(id: schoolId) else {
                return self.triage(
                    region, because: "school \(schoolId) is not configured in any region", language: language,
                    trace: &trace)
            }
            // The school decides, even when the client's home municipality is in another region.
            region = school.region
            teams = school.region.teams(of: .schoolWelfare)
            candidacy = .team(school.school.team)
            basis = .school(schoolId)
        case .triage:
            return self.triage(region, because: "the rule names the triage team", language: language, trace: &trace)
        default:
            if let unresolved = location.unresolved {
                return self.triage(region, because: unresolved, language: language, trace: &trace)
            }
            teams = region.teams(of: unitType)
            candidacy = .age(age)
            basis = .region
        }
        guard
            let pick = Self.pick(teams, where: { candidacy.accepts($0) }, language: language, loads: loads, keeping: keeping)
        else {
            // No candidate: said by what made one (a school's team is checked when the configuration is loaded).
            let because =
                switch candidacy {
                case .area(let area, let age): "no \(unitType.rawValue) team serves area \(area) for \(Self.ageText(age))"
                case .age(let age): "region \(region.id) has no \(unitType.rawValue) team for \(Self.ageText(age))"
                case .team: "no \(unitType.rawValue) team is a candidate"
                }
            return self.triage(region, because: because, language: language, trace: &trace)
        }
        // One string, written in place: made per decision, it was three (the basis, the pick, both joined).
        var reason = ""
        reason.reserveCapacity(192)
        basis.write(unitType: unitType, region: region.id, age: age, to: &reason)
        reason += "; "
        Self.writeExplanation(of: pick, language: language, loads: loads, to: &reason)
        reason += " → "
        reason += pick.team.id
        trace.append(.init(kind: .resolution, ruleId: "resolve.team", matched: true, reason: reason))
        let team = pick.team
        return ResolvedOwner(
            owner: Decision.Owner(
                level: unitType.level, unitType: unitType, teamId: team.id, teamName: team.name, area: area,
                regionId: region.id, triageReason: nil),
            region: region,
            languageMatched: pick.languageMatched
        )
    }

    func triage(
        _ region: RoutingTable.Region,
        because reason: String,
        language: String,
        trace: inout [Decision.TraceEntry]
    ) -> ResolvedOwner {
        let team = region.triageTeam
        trace.append(
            .init(
                kind: .resolution, ruleId: "resolve.triage", matched: true,
                reason: "\(reason) → triage team \(team.id) of region \(region.id)"))
        return ResolvedOwner(
            owner: Decision.Owner(
                level: .triage, unitType: .triage, teamId: team.id, teamName: team.name, area: nil, regionId: region.id,
                triageReason: reason),
            region: region,
            languageMatched: team.languages.contains(language)
        )
    }

    /// The family-centre area of a municipality, from the postal code where the municipality is split.
    static func area(
        of municipality: RegionConfiguration.Municipality,
        postalCode: String?
    ) -> Result<(area: String, basis: AreaBasis), AreaFailure> {
        if let postalAreas = municipality.postalAreas, !postalAreas.isEmpty {
            if let postalCode {
                for postalArea in postalAreas where postalArea.postalCodes.contains(where: { $0.contains(postalCode) }) {
                    return .success((postalArea.area, .postalCode(postalCode)))
                }
            }
            if let area = municipality.area {
                return .success((area, .defaultArea(postalCode: postalCode)))
            }
            let why = postalCode == nil ? "no postal code was given" : "postal code \(postalCode!) is in no configured range"
            return .failure(AreaFailure(reason: "municipality \(municipality.code) is split by postal code and \(why)"))
        }
        // Validated at load: an unsplit municipality has an area.
        return .success((municipality.area!, .unsplit))
    }

    /// How a municipality's area was found.
    enum AreaBasis {
        /// The postal code is in one of the split municipality's ranges.
        case postalCode(String)
        /// The municipality is split, the postal code is missing or in no range, and it has a default area.
        case defaultArea(postalCode: String?)
        /// The municipality is not split.
        case unsplit
    }

    /// What a team was chosen by, for the resolution's trace text.
    enum Basis {
        case area(AreaBasis, municipality: String, area: String)
        case school(String)
        case region

        /// Appends what the team was chosen by to `text`.
        func write(unitType: UnitType, region: String, age: Int?, to text: inout String) {
            switch self {
            case .area(.postalCode(let postalCode), let municipality, let area):
                text += "municipality "
                text += municipality
                text += ", postal code "
                text += postalCode
                text += " → area "
                text += area
            case .area(.defaultArea(let postalCode), let municipality, let area):
                text += "municipality "
                text += municipality
                text += " ("
                text += Self.missedRange(postalCode)
                text += ") → default area "
                text += area
            case .area(.unsplit, let municipality, let area):
                text += "municipality "
                text += municipality
                text += " → area "
                text += area
            case .school(let schoolId):
                text += "school "
                text += schoolId
                text += " → its student-welfare team"
            case .region:
                text += "region "
                text += region
                text += ", unit type "
                text += unitType.rawValue
                text += ", "
                text += SteeringEngine.ageText(age)
            }
        }

        /// Why a split municipality's default area was used.
        private static func missedRange(_ postalCode: String?) -> String {
            postalCode.map { "postal code \($0) in no split range" } ?? "no postal code given"
        }
    }

    struct AreaFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { self.reason }
    }

    /// Which of a unit type's teams may own a case.
    enum Candidacy {
        /// Those serving the area and the age.
        case area(String, age: Int?)
        /// The one team (a school's).
        case team(String)
        /// Those serving the age.
        case age(Int?)

        func accepts(_ team: RegionConfiguration.Team) -> Bool {
            switch self {
            case .area(let area, let age): team.areas?.contains(area) == true && team.serves(age: age)
            case .team(let id): team.id == id
            case .age(let age): team.serves(age: age)
            }
        }
    }

    struct Pick {
        var team: RegionConfiguration.Team
        var languageMatched: Bool
        /// How many candidates work in the client's language (all of them when none does).
        var poolCount: Int
        var candidateCount: Int
        /// The team an earlier decision of the same request chose, kept instead of the least loaded.
        var kept = false
    }

    /// Chooses among candidates: the client's language first, then the least open load relative to capacity,
    /// then the team id (so that equal candidates never depend on configuration order).
    ///
    /// The candidates are the teams `isCandidate` accepts, read in place: filtered into arrays of their own, every
    /// candidate's strings were retained and released again (twice when the language narrowed them).
    static func pick(
        _ teams: [RegionConfiguration.Team], where isCandidate: (RegionConfiguration.Team) -> Bool, language: String,
        loads: [String: Int], keeping: String? = nil
    ) -> Pick? {
        var candidateCount = 0
        var speakers = 0
        for index in teams.indices where isCandidate(teams[index]) {
            candidateCount += 1
            if teams[index].languages.contains(language) { speakers += 1 }
        }
        guard candidateCount > 0 else { return nil }
        let languageMatched = speakers > 0
        // All candidates are in the pool when all or none of them work in the language.
        let narrowed = languageMatched && speakers < candidateCount
        let poolCount = narrowed ? speakers : candidateCount
        var kept: Int?
        var best: Int?
        for index in teams.indices where isCandidate(teams[index]) {
            guard !narrowed || teams[index].languages.contains(language) else { continue }
            if let keeping, kept == nil, teams[index].id == keeping { kept = index }
            guard let current = best else {
                best = index
                continue
            }
            // Compare load/capacity without floating point.
            let load = loads[teams[index].id] ?? 0
            let bestLoad = loads[teams[current].id] ?? 0
            let score = load * teams[current].capacity
            let bestScore = bestLoad * teams[index].capacity
            if score != bestScore ? score < bestScore : teams[index].id < teams[current].id {
                best = index
            }
        }
        if let kept {
            return Pick(
                team: teams[kept], languageMatched: languageMatched, poolCount: poolCount, candidateCount: candidateCount,
                kept: true)
        }
        return Pick(
            team: teams[best!], languageMatched: languageMatched, poolCount: poolCount,
            candidateCount: candidateCount)
    }

    /// Appends why the pick was made, for the trace, to `text`: the language, then (among several) the load.
    static func writeExplanation(of pick: Pick, language: String, loads: [String: Int], to text: inout String) {
        if pick.languageMatched {
            text += String(pick.poolCount)
            text += " of "
            text += String(pick.candidateCount)
            text += " candidate(s) work in '"
            text += language
            text += "'"
        } else {
            text += "no candidate works in '"
            text += language
            text += "'; served in "
            text += pick.team.languages.joined(separator: "/")
        }
        if pick.kept {
            text += "; the team the referral's state names (decided again on a replay)"
        } else if pick.poolCount > 1 {
            text += "; least open load "
            text += String(loads[pick.team.id] ?? 0)
            text += "/"
            text += String(pick.team.capacity)
        }
    }
}
