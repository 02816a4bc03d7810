/// The content of `config/steering/sla-policies.yaml`: every SLA policy, validated.
///
/// ```yaml
/// policies:
///   - id: emergency
///     name: Emergency
///     legalBasis: { law: "Lastensuojelulaki 417/2007", section: "26 §", version: "2015-04-01" }
///     milestones:
///       - { id: acknowledged, span: 1h, metBy: [acknowledged, first_contact] }
/// ```
///
/// Decoding validates: ids are unique and of `a-z0-9_`, every milestone can be met, `closed`, `withdrawn` and
/// `reassigned` neither meet nor start milestones, and variants change only milestones that exist.
public struct SLAPolicyConfiguration: Sendable, Hashable, Codable {
    public var policies: [SLAPolicy]

    /// - Throws: ``DeadlinesConfigurationError`` listing every problem found.
    public init(policies: [SLAPolicy]) throws(DeadlinesConfigurationError) {
        self.policies = policies
        var problems: [String] = []
        var ids: Set<String> = []
        for (index, policy) in policies.enumerated() {
            problems += policy.problems(at: "policies[\(index)]")
            if !ids.insert(policy.id).inserted {
                problems.append("policies[\(index)].id: \(policy.id) is used twice")
            }
        }
        if !problems.isEmpty {
            throw DeadlinesConfigurationError(file: "sla-policies", problems: problems)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case policies
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(policies: try container.decode([SLAPolicy].self, forKey: .policies))
    }

    /// The policy with `id`, if configured.
    public func policy(id: String) -> SLAPolicy? {
        self.policies.first { $0.id == id }
    }
}
