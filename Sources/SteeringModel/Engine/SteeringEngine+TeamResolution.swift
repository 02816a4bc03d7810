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
        trace: inout [Decision.TraceEntry]
    ) -> ResolvedOwner {
        var region = location.region
        let age = request.client.ageYears
        let language = request.client.language
        var area: String?
        let candidates: [RegionConfiguration.Team]
        let basis: String
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
                basis = found.basis
            }
            candidates = region.teams(of: unitType).filter { team in
                (team.areas ?? []).contains(area!) && team.serves(age: age)
            }
            guard !candidates.isEmpty else {
                return self.triage(
                    region,
                    because: "no \(unitType.rawValue) team serves area \(area!) for \(Self.ageText(age))",
                    language: language, trace: &trace)
            }
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
            candidates = school.region.teams(of: .schoolWelfare).filter { $0.id == school.school.team }
            basis = "school \(schoolId) → its student-welfare team"
        case .triage:
            return self.triage(region, because: "the rule names the triage team", language: language, trace: &trace)
        default:
            if let unresolved = location.unresolved {
                return self.triage(region, because: unresolved, language: language, trace: &trace)
            }
            candidates = region.teams(of: unitType).filter { $0.serves(age: age) }
            guard !candidates.isEmpty else {
                return self.triage(
                    region,
                    because: "region \(region.id) has no \(unitType.rawValue) team for \(Self.ageText(age))",
                    language: language, trace: &trace)
            }
            basis = "region \(region.id), unit type \(unitType.rawValue), \(Self.ageText(age))"
        }
        // Validated above: candidates is not empty.
        let pick = Self.pick(candidates, language: language, loads: loads)!
        trace.append(
            .init(
                kind: .resolution, ruleId: "resolve.team", matched: true,
                reason: "\(basis); \(pick.explanation) → \(pick.team.id)"))
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
    ) -> Result<(area: String, basis: String), AreaFailure> {
        if let postalAreas = municipality.postalAreas, !postalAreas.isEmpty {
            if let postalCode {
                for postalArea in postalAreas where postalArea.postalCodes.contains(where: { $0.contains(postalCode) }) {
                    return .success(
                        (postalArea.area, "municipality \(municipality.code), postal code \(postalCode) → area \(postalArea.area)"))
                }
            }
            if let area = municipality.area {
                let why = postalCode == nil ? "no postal code given" : "postal code \(postalCode!) in no split range"
                return .success((area, "municipality \(municipality.code) (\(why)) → default area \(area)"))
            }
            let why = postalCode == nil ? "no postal code was given" : "postal code \(postalCode!) is in no configured range"
            return .failure(AreaFailure(reason: "municipality \(municipality.code) is split by postal code and \(why)"))
        }
        // Validated at load: an unsplit municipality has an area.
        return .success((municipality.area!, "municipality \(municipality.code) → area \(municipality.area!)"))
    }

    struct AreaFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { self.reason }
    }

    struct Pick {
        var team: RegionConfiguration.Team
        var languageMatched: Bool
        var explanation: String
    }

    /// Chooses among candidates: the client's language first, then the least open load relative to capacity,
    /// then the team id (so that equal candidates never depend on configuration order).
    static func pick(_ candidates: [RegionConfiguration.Team], language: String, loads: [String: Int]) -> Pick? {
        guard !candidates.isEmpty else { return nil }
        let speakers = candidates.count { $0.languages.contains(language) }
        let languageMatched = speakers > 0
        let pool = speakers == candidates.count || !languageMatched
            ? candidates : candidates.filter { $0.languages.contains(language) }
        let best = pool.min { lhs, rhs in
            let lhsLoad = loads[lhs.id] ?? 0
            let rhsLoad = loads[rhs.id] ?? 0
            // Compare load/capacity without floating point.
            let lhsScore = lhsLoad * rhs.capacity
            let rhsScore = rhsLoad * lhs.capacity
            return lhsScore != rhsScore ? lhsScore < rhsScore : lhs.id < rhs.id
        }!
        var explanation =
            languageMatched
            ? "\(pool.count) of \(candidates.count) candidate(s) work in '\(language)'"
            : "no candidate works in '\(language)'; served in \(best.languages.joined(separator: "/"))"
        if pool.count > 1 {
            explanation += "; least open load \(loads[best.id] ?? 0)/\(best.capacity)"
        }
        return Pick(team: best, languageMatched: languageMatched, explanation: explanation)
    }
}
