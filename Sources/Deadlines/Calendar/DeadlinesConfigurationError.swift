/// A configuration file of this module is invalid; every problem found is listed with its path.
public struct DeadlinesConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which configuration: `calendar` or `sla-policies`.
    public var file: String
    /// One line per problem, e.g. `policies[2].milestones[0].metBy: is empty`.
    public var problems: [String]

    public init(file: String, problems: [String]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        "invalid \(self.file) configuration (\(self.problems.count) problem\(self.problems.count == 1 ? "" : "s")):\n"
            + self.problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
