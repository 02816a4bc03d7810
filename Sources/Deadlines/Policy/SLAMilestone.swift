/// One deadline of an SLA policy: what must happen, by when, and which status updates show it happened.
///
/// ```yaml
/// - id: treatment_started
///   span: 3m
///   roll: false
///   startsOn: assessment_completed
///   metBy: [service_started]
///   warningThresholds: [0.5, 0.75]
/// ```
public struct SLAMilestone: Sendable, Hashable, Codable {
    /// A name unique in its policy, e.g. `assessment_started`; part of the timer id.
    public var id: String
    /// How long after its start the milestone is due.
    public var span: DeadlineSpan
    /// Whether a deadline ending on a day it may not end on moves to the next working day (Act 150/1930 5 §).
    /// Defaults to `true`; health-care guarantees may target the raw date. Clock hours never roll.
    public var roll: Bool
    /// The statuses that meet the milestone, e.g. `first_contact` or `assessment_started` for
    /// `assessment_started`.
    public var metBy: [ReferralStatus]
    /// The status update that starts the milestone, e.g. `assessment_completed` (the need is established) for
    /// the mental-health treatment milestone; `nil` (the default) starts it with the policy.
    public var startsOn: ReferralStatus?
    /// Warning thresholds for this milestone; `nil` uses the policy's.
    public var warningThresholds: WarningThresholds?
    /// A short human description, e.g. "decide whether to start the service-need assessment".
    public var description: String?

    public init(
        id: String,
        span: DeadlineSpan,
        roll: Bool = true,
        metBy: [ReferralStatus],
        startsOn: ReferralStatus? = nil,
        warningThresholds: WarningThresholds? = nil,
        description: String? = nil
    ) {
        self.id = id
        self.span = span
        self.roll = roll
        self.metBy = metBy
        self.startsOn = startsOn
        self.warningThresholds = warningThresholds
        self.description = description
    }

    private enum CodingKeys: String, CodingKey {
        case id, span, roll, metBy, startsOn, warningThresholds, description
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.span = try container.decode(DeadlineSpan.self, forKey: .span)
        self.roll = try container.decodeIfPresent(Bool.self, forKey: .roll) ?? true
        self.metBy = try container.decode([ReferralStatus].self, forKey: .metBy)
        self.startsOn = try container.decodeIfPresent(ReferralStatus.self, forKey: .startsOn)
        self.warningThresholds = try container.decodeIfPresent(WarningThresholds.self, forKey: .warningThresholds)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
    }
}
