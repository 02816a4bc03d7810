/// A named set of milestones with its legal basis, warning thresholds and variants (configuration).
///
/// ```yaml
/// - id: student_welfare
///   name: Student welfare discussion
///   legalBasis: { law: "Oppilas- ja opiskeluhuoltolaki 1287/2013", section: "15 §", version: "2023-01-01" }
///   startsAt: the pupil's request
///   warningThresholds: [0.75]
///   milestones:
///     - { id: discussion_offered, span: 7swd, metBy: [first_contact, assessment_started] }
///   variants:
///     - id: urgent
///       urgency: [emergency, urgent]
///       milestones:
///         - { id: discussion_offered, span: same_or_next_swd }
/// ```
public struct SLAPolicy: Sendable, Hashable, Codable {
    /// Changes to some milestones that apply in some cases (urgency, a specialist assessment …).
    public struct Variant: Sendable, Hashable, Codable {
        /// A name unique in the policy, e.g. `urgent`.
        public var id: String
        /// The request urgencies (`emergency`, `urgent`, …) that select the variant; absent or empty: only when
        /// the caller names the variant (for example `specialist_assessment`).
        public var urgency: [String]?
        public var description: String?
        /// The provision of the variant, when it differs from the policy's.
        public var legalBasis: LegalBasis?
        /// The milestones changed, by id.
        public var milestones: [MilestoneOverride]

        public init(
            id: String,
            urgency: [String]? = nil,
            description: String? = nil,
            legalBasis: LegalBasis? = nil,
            milestones: [MilestoneOverride]
        ) {
            self.id = id
            self.urgency = urgency
            self.description = description
            self.legalBasis = legalBasis
            self.milestones = milestones
        }
    }

    /// The fields of a milestone a variant can change; absent fields keep the milestone's value.
    public struct MilestoneOverride: Sendable, Hashable, Codable {
        public var id: String
        public var span: DeadlineSpan?
        public var roll: Bool?
        public var warningThresholds: WarningThresholds?

        public init(
            id: String,
            span: DeadlineSpan? = nil,
            roll: Bool? = nil,
            warningThresholds: WarningThresholds? = nil
        ) {
            self.id = id
            self.span = span
            self.roll = roll
            self.warningThresholds = warningThresholds
        }
    }

    /// e.g. `child_protection_notification`.
    public var id: String
    public var name: String
    public var legalBasis: LegalBasis
    /// The event that starts the policy, in words (e.g. "receipt of the notification"); documentation only.
    public var startsAt: String?
    /// Warning thresholds of milestones that set none; default `[0.75]`.
    public var warningThresholds: WarningThresholds
    public var milestones: [SLAMilestone]
    public var variants: [Variant]

    public init(
        id: String,
        name: String,
        legalBasis: LegalBasis,
        startsAt: String? = nil,
        warningThresholds: WarningThresholds = .default,
        milestones: [SLAMilestone],
        variants: [Variant] = []
    ) {
        self.id = id
        self.name = name
        self.legalBasis = legalBasis
        self.startsAt = startsAt
        self.warningThresholds = warningThresholds
        self.milestones = milestones
        self.variants = variants
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, legalBasis, startsAt, warningThresholds, milestones, variants
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.name = try container.decode(String.self, forKey: .name)
        self.legalBasis = try container.decode(LegalBasis.self, forKey: .legalBasis)
        self.startsAt = try container.decodeIfPresent(String.self, forKey: .startsAt)
        self.warningThresholds =
            try container.decodeIfPresent(WarningThresholds.self, forKey: .warningThresholds) ?? .default
        self.milestones = try container.decode([SLAMilestone].self, forKey: .milestones)
        self.variants = try container.decodeIfPresent([Variant].self, forKey: .variants) ?? []
    }

    /// The variants that apply to a request of `urgency`, plus those named in `variantIds`, in policy order.
    public func applicableVariants(urgency: String?, variantIds: Set<String> = []) -> [Variant] {
        self.variants.filter { variant in
            variantIds.contains(variant.id) || (urgency.map { variant.urgency?.contains($0) == true } ?? false)
        }
    }

    /// The milestones in force for a request: the policy's, changed by each applicable variant in policy order,
    /// with the warning thresholds resolved (so every returned milestone has `warningThresholds` set).
    ///
    /// - Parameters:
    ///   - urgency: the request's urgency, e.g. `urgent`.
    ///   - variantIds: variants the caller selects by name, e.g. `specialist_assessment`.
    public func effectiveMilestones(urgency: String?, variantIds: Set<String> = []) -> [SLAMilestone] {
        var milestones = self.milestones
        for variant in self.applicableVariants(urgency: urgency, variantIds: variantIds) {
            for change in variant.milestones {
                guard let index = milestones.firstIndex(where: { $0.id == change.id }) else { continue }
                if let span = change.span { milestones[index].span = span }
                if let roll = change.roll { milestones[index].roll = roll }
                if let thresholds = change.warningThresholds { milestones[index].warningThresholds = thresholds }
            }
        }
        for index in milestones.indices where milestones[index].warningThresholds == nil {
            milestones[index].warningThresholds = self.warningThresholds
        }
        return milestones
    }

    /// The problems of this policy, each prefixed with `path` (empty when valid).
    func problems(at path: String) -> [String] {
        var problems: [String] = []
        if !Self.isIdentifier(self.id) {
            problems.append("\(path).id: \"\(self.id)\" must be 1–64 characters of a-z, 0-9 and _")
        }
        if self.milestones.isEmpty {
            problems.append("\(path).milestones: is empty")
        }
        var milestoneIds: Set<String> = []
        for (index, milestone) in self.milestones.enumerated() {
            let milestonePath = "\(path).milestones[\(index)]"
            if !Self.isIdentifier(milestone.id) {
                problems.append("\(milestonePath).id: \"\(milestone.id)\" must be 1–64 characters of a-z, 0-9 and _")
            }
            if !milestoneIds.insert(milestone.id).inserted {
                problems.append("\(milestonePath).id: \(milestone.id) is used twice")
            }
            if milestone.metBy.isEmpty {
                problems.append("\(milestonePath).metBy: is empty, so nothing can meet the milestone")
            }
            for status in milestone.metBy where !status.isProgress {
                problems.append("\(milestonePath).metBy: \(status) cannot meet a milestone (it cancels or moves it)")
            }
            if let start = milestone.startsOn {
                if !start.isProgress {
                    problems.append("\(milestonePath).startsOn: \(start) cannot start a milestone")
                }
                if milestone.metBy.contains(start) {
                    problems.append("\(milestonePath).startsOn: \(start) would also meet the milestone it starts")
                }
            }
        }
        var variantIds: Set<String> = []
        for (index, variant) in self.variants.enumerated() {
            let variantPath = "\(path).variants[\(index)]"
            if !variantIds.insert(variant.id).inserted {
                problems.append("\(variantPath).id: \(variant.id) is used twice")
            }
            for (changeIndex, change) in variant.milestones.enumerated() where !milestoneIds.contains(change.id) {
                problems.append("\(variantPath).milestones[\(changeIndex)].id: no milestone \(change.id) in \(self.id)")
            }
        }
        return problems
    }

    /// 1–64 characters of `a-z`, `0-9` and `_`: safe in timer ids and metric labels.
    static func isIdentifier(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
