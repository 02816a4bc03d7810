/// The decision engine: owner rules (hit policy FIRST), consultation rules (COLLECT), team resolution and the
/// triage fallback.
///
/// It is pure and deterministic: the same request, table and loads always give the same decision.
///
/// A class, though it holds only constants: the router reads it for every record, and a structure this size was
/// copied out of the processor for each decision (a retain and a release of each of its references).
public final class SteeringEngine: Sendable {
    public let table: RoutingTable
    /// Trace texts built once per rule and kind of request (see ``ConditionReasons``).
    let reasons: ConditionReasons
    /// The rules' conditions as bit masks, which is how decisions test them (``holds(_:_:)`` is the reference).
    let conditions: CompiledConditions

    /// The most trace entries a decision can have, short of unusual team resolutions: every rule of every list and
    /// four resolutions.
    let traceCapacity: Int

    public init(table: RoutingTable) {
        self.table = table
        self.reasons = ConditionReasons(rules: table.rules)
        self.conditions = CompiledConditions(rules: table.rules)
        let rules = table.rules
        self.traceCapacity =
            rules.ownerRules.count + rules.consultationRules.count + rules.consultationRequestRules.count + 4
    }

    /// What a valid request names that the configuration does not know: a consultation's case owner must be a team
    /// id of the configuration (a typo, or a person's name typed into the field, would otherwise be copied into the
    /// outputs as if it were a team). `nil` when everything it names is known.
    public func unknownReferences(in request: ReferralRequest) -> ValidationFailure? {
        guard let owner = request.consultation?.caseOwnerTeam, self.table.team(id: owner) == nil else { return nil }
        return ValidationFailure(
            id: request.id,
            problems: [
                ValidationProblem(
                    .unknownTeam, field: "consultation.caseOwnerTeam",
                    "consultation.caseOwnerTeam must be a team id of the steering configuration (regions/*.yaml, teams)")
            ])
    }

    /// Decides the owner, the consultations and the SLA policy of a valid request.
    ///
    /// - Parameters:
    ///   - request: a validated request.
    ///   - loads: open cases per team id, for choosing the least loaded among equal candidates.
    ///   - keepingOwner: the owner an earlier decision of this very request chose (a replay after a crash, whose
    ///     state record names it): chosen again when it is among the candidates the rules and the language allow,
    ///     whatever the loads are now, so that the assignment names the team the state and the timers name.
    public func decide(_ request: ReferralRequest, loads: [String: Int] = [:], keepingOwner: String? = nil) -> Decision {
        // Room for every rule a request can be traced against and the team resolutions, so that the trace never
        // grows (it did four times for a typical referral).
        var trace: [Decision.TraceEntry] = []
        trace.reserveCapacity(self.traceCapacity)
        let location = self.locate(request)
        switch request.type {
        case .referral:
            return self.decideReferral(request, location: location, loads: loads, keeping: keepingOwner, trace: &trace)
        case .consultation:
            return self.decideConsultation(request, location: location, loads: loads, keeping: keepingOwner, trace: &trace)
        }
    }

    // MARK: Referrals

    private func decideReferral(
        _ request: ReferralRequest,
        location: Location,
        loads: [String: Int],
        keeping: String?,
        trace: inout [Decision.TraceEntry]
    ) -> Decision {
        // Validated at load: the last owner rule has an empty condition and a unit type.
        let features = RequestFeatures(request)
        let ownerRules = self.table.rules.ownerRules
        let rule = self.firstMatch(ownerRules, kind: .owner, request, features: features, trace: &trace).match!
        let owner = self.resolveOwner(rule.unitType, request, location: location, loads: loads, keeping: keeping, trace: &trace)
        let consultations = self.collectConsultations(
            request, features: features, owner: owner.owner, region: owner.region, loads: loads, trace: &trace)
        return Decision(
            requestId: request.id,
            type: request.type,
            owner: owner.owner,
            consultations: consultations,
            slaPolicy: rule.sla,
            ownerRuleId: ownerRules[rule.index].id,
            requestedLanguage: request.client.language,
            languageMatched: owner.languageMatched,
            trace: trace,
            steeringModelVersion: self.table.version
        )
    }

    private func collectConsultations(
        _ request: ReferralRequest,
        features: RequestFeatures,
        owner: Decision.Owner,
        region: RoutingTable.Region,
        loads: [String: Int],
        trace: inout [Decision.TraceEntry]
    ) -> [Decision.Consultation] {
        var consultations: [Decision.Consultation] = []
        let rules = self.table.rules.consultationRules
        for index in rules.indices {
            if let unmet = self.unmet(rules, index, kind: .consultation, request, features) {
                trace.append(unmet)
                continue
            }
            let rule = rules[index]
            let key = ConditionReasons.RuleKey(list: .consultation, index: index)
            guard let target = Self.target(of: rule, age: request.client.ageYears) else {
                trace.append(
                    .init(
                        kind: .consultation, ruleId: rule.id, matched: false,
                        reason: "condition holds, but no age branch covers \(Self.ageText(request.client.ageYears))"))
                continue
            }
            if target.unitType == owner.unitType {
                trace.append(
                    .init(
                        kind: .consultation, ruleId: rule.id, matched: false,
                        reason: "condition holds, but \(target.unitType.rawValue) already owns the case"))
                continue
            }
            if consultations.contains(where: { $0.unitType == target.unitType }) {
                trace.append(
                    .init(
                        kind: .consultation, ruleId: rule.id, matched: false,
                        reason: "condition holds, but \(target.unitType.rawValue) is already consulted"))
                continue
            }
            let age = request.client.ageYears
            guard
                let pick = Self.pick(
                    region.teams(of: target.unitType), where: { $0.serves(age: age) }, language: request.client.language,
                    loads: loads)
            else {
                trace.append(
                    .init(
                        kind: .consultation, ruleId: rule.id, matched: false,
                        reason:
                            "condition holds, but region \(region.id) has no \(target.unitType.rawValue) team for \(Self.ageText(request.client.ageYears))"
                    ))
                continue
            }
            // No team of the unit works in the client's language: the decision says so (steering-model.md), for the
            // consultation as for the owner (remembered per language).
            let unmatched = pick.languageMatched ? nil : request.client.language
            trace.append(
                self.reasons.match(
                    key, ruleId: rule.id, unitType: target.unitType, teamId: pick.team.id, unmatchedLanguage: unmatched
                ) {
                    "\(rule.reason) → \(target.unitType.rawValue) \(pick.team.id)"
                        + (unmatched.map { "; no candidate works in '\($0)'" } ?? "")
                })
            consultations.append(
                Decision.Consultation(
                    unitType: target.unitType, teamId: pick.team.id, teamName: pick.team.name, ruleId: rule.id,
                    reason: rule.reason))
        }
        return consultations
    }

    // MARK: Consultation requests

    private func decideConsultation(
        _ request: ReferralRequest,
        location: Location,
        loads: [String: Int],
        keeping: String?,
        trace: inout [Decision.TraceEntry]
    ) -> Decision {
        var unitType: UnitType?
        var blockedByAge = false
        var ruleId = "requested"
        var reason = "the case owner asked for this unit type"
        if let requested = request.consultation?.requestedUnitType {
            unitType = requested
            trace.append(
                .init(
                    kind: .consultationRequest, ruleId: "requested", matched: true,
                    reason: "the request names unit type \(requested.rawValue)"))
        } else {
            let rules = self.table.rules.consultationRequestRules
            let found = self.firstMatch(
                rules, kind: .consultationRequest, request, features: RequestFeatures(request), trace: &trace)
            blockedByAge = found.blockedByAge
            if let match = found.match {
                unitType = match.unitType
                ruleId = rules[match.index].id
                reason = rules[match.index].reason
            }
        }
        // Never to the unit type that owns the case (the case owner asking its own kind of unit, or a rule inferring it).
        let ownType = request.consultation?.caseOwnerTeam.flatMap { self.table.team(id: $0)?.team.unitType }
        let resolved: ResolvedOwner
        if let unitType, unitType == ownType {
            ruleId = "triage"
            reason = "the case owner is itself a \(unitType.rawValue) team: a consultation goes to another unit"
            resolved = self.triage(location.region, because: reason, language: request.client.language, trace: &trace)
        } else if let unitType {
            resolved = self.resolveOwner(unitType, request, location: location, loads: loads, keeping: keeping, trace: &trace)
        } else {
            ruleId = "triage"
            // A rule whose condition held but whose unit type depends on an age the request does not cover (an
            // anonymous consultation gives none) is the reason, not the concerns.
            reason =
                blockedByAge
                ? "the concerns call for a specialist unit chosen by the client's age, and no age branch covers \(Self.ageText(request.client.ageYears))"
                : "no specialist unit type could be inferred from the concerns"
            resolved = self.triage(location.region, because: reason, language: request.client.language, trace: &trace)
        }
        let owner = resolved.owner
        return Decision(
            requestId: request.id,
            type: request.type,
            owner: owner,
            consultations: [
                Decision.Consultation(
                    unitType: owner.unitType, teamId: owner.teamId, teamName: owner.teamName, ruleId: ruleId,
                    reason: reason)
            ],
            slaPolicy: self.table.rules.consultationPolicy,
            ownerRuleId: ruleId,
            requestedLanguage: request.client.language,
            languageMatched: resolved.languageMatched,
            trace: trace,
            steeringModelVersion: self.table.version
        )
    }

    /// Hit policy FIRST: the first rule whose condition holds and that has a unit type for the client's age (its
    /// index in `rules`). Every rule considered is traced.
    private func firstMatch(
        _ rules: [Rule],
        kind: Decision.TraceKind,
        _ request: ReferralRequest,
        features: RequestFeatures,
        trace: inout [Decision.TraceEntry]
    ) -> (match: (index: Int, unitType: UnitType, sla: String?)?, blockedByAge: Bool) {
        var blockedByAge = false
        for index in rules.indices {
            if let unmet = self.unmet(rules, index, kind: kind, request, features) {
                trace.append(unmet)
                continue
            }
            let key = ConditionReasons.RuleKey(list: kind, index: index)
            guard let target = Self.target(of: rules[index], age: request.client.ageYears) else {
                trace.append(
                    .init(
                        kind: kind, ruleId: rules[index].id, matched: false,
                        reason: "condition holds, but no age branch covers \(Self.ageText(request.client.ageYears))"))
                blockedByAge = true
                continue
            }
            trace.append(
                self.reasons.match(key, ruleId: rules[index].id, unitType: target.unitType, teamId: nil) {
                    "\(rules[index].reason) → \(target.unitType.rawValue)"
                })
            return ((index, target.unitType, target.sla), blockedByAge)
        }
        return (nil, blockedByAge)
    }

    // MARK: Conditions

    /// Why the rule at `index` of its list does not apply to the request (a remembered text), or `nil` when its
    /// condition holds.
    private func unmet(
        _ rules: [Rule],
        _ index: Int,
        kind: Decision.TraceKind,
        _ request: ReferralRequest,
        _ features: RequestFeatures
    ) -> Decision.TraceEntry? {
        guard !self.conditions.holds(list: ConditionReasons.listNumber(kind), index: index, features) else {
            return nil
        }
        return self.reasons.failure(.init(list: kind, index: index), ruleId: rules[index].id, features) {
            self.evaluate(rules[index].when, request).1
        }
    }

    /// Whether a condition holds: ``evaluate(_:_:)`` without building its reason. Decisions test the compiled form
    /// (``CompiledConditions``); this is the reference the tests hold it to.
    func holds(_ condition: RuleCondition, _ request: ReferralRequest) -> Bool {
        if let types = condition.type, !types.contains(request.type) { return false }
        if let urgencies = condition.urgency, !urgencies.contains(request.need.urgency) { return false }
        if let severities = condition.severity, !severities.contains(request.need.severity) { return false }
        if let concerns = condition.concerns, !concerns.contains(where: request.need.has) { return false }
        if let ages = condition.ages {
            guard let age = request.client.ageYears, ages.contains(age) else { return false }
        }
        if let hasSchool = condition.hasSchool, hasSchool != (request.client.schoolId != nil) { return false }
        if let alternatives = condition.anyOf {
            return alternatives.contains { self.holds($0, request) }
        }
        return true
    }

    /// Evaluates a condition; the reason says why it does not hold (or that it holds).
    ///
    /// - Important: it reads only what ``RequestFeatures`` holds, which lets the engine remember its texts.
    func evaluate(_ condition: RuleCondition, _ request: ReferralRequest) -> (Bool, String) {
        if let types = condition.type, !types.contains(request.type) {
            return (false, "type " + request.type.rawValue + " is not " + Self.list(types))
        }
        if let urgencies = condition.urgency, !urgencies.contains(request.need.urgency) {
            return (false, "urgency " + request.need.urgency.rawValue + " is not " + Self.list(urgencies))
        }
        if let severities = condition.severity, !severities.contains(request.need.severity) {
            return (false, "severity " + request.need.severity.rawValue + " is not " + Self.list(severities))
        }
        if let concerns = condition.concerns, !concerns.contains(where: request.need.has) {
            return (false, "no concern among " + Self.list(concerns))
        }
        if let ages = condition.ages {
            guard let age = request.client.ageYears else {
                return (false, "age unknown; the rule needs ages \(ages)")
            }
            if !ages.contains(age) {
                return (false, "age \(age) is outside \(ages)")
            }
        }
        if let hasSchool = condition.hasSchool, hasSchool != (request.client.schoolId != nil) {
            return (false, hasSchool ? "the client names no school" : "the client names a school")
        }
        if let alternatives = condition.anyOf {
            var reasons: [String] = []
            for alternative in alternatives {
                let (holds, why) = self.evaluate(alternative, request)
                if holds { return (true, "holds") }
                reasons.append(why)
            }
            return (false, "no alternative holds: " + reasons.joined(separator: "; "))
        }
        return (true, "holds")
    }

    static func target(of rule: Rule, age: Int?) -> (unitType: UnitType, sla: String?)? {
        if let unitType = rule.unitType {
            return (unitType, rule.sla)
        }
        guard let age else { return nil }
        for branch in rule.byAge ?? [] where branch.ages.contains(age) {
            return (branch.unitType, branch.sla ?? rule.sla)
        }
        return nil
    }

    /// `a` or `one of a, b, c`, written into one string (a rule's failing clause is described for every request
    /// the rule does not match).
    private static func list<Item: RawRepresentable>(_ items: [Item]) -> String where Item.RawValue == String {
        if items.count == 1 { return items[0].rawValue }
        var text = "one of "
        text.reserveCapacity(8 + items.count * 16)
        for (index, item) in items.enumerated() {
            if index > 0 { text += ", " }
            text += item.rawValue
        }
        return text
    }

    static func ageText(_ age: Int?) -> String {
        age.map { "age \($0)" } ?? "an unknown age"
    }
}
