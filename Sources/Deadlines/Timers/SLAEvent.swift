import struct Foundation.Date
import typealias Foundation.TimeInterval

/// An SLA timer event to publish on `referrals.sla`.
///
/// Encoded with the contract's field names (`event` for ``kind``); instants follow the encoder's date strategy.
public struct SLAEvent: Sendable, Hashable, Codable {
    /// What happened to the timer.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case started
        case warning
        case breached
        case met
        case cancelled
    }

    public var referralId: String
    /// `<referralId>/<milestone>`.
    public var timerId: String
    public var policyId: String
    public var milestone: String
    public var kind: Kind
    /// The milestone's due instant (inclusive: reaching it at `dueAt` is in time).
    public var dueAt: Date
    /// When it happened: the start instant, the instant the warning or breach was fired, or the status's `at`.
    public var at: Date
    /// The team that owns the case when the event happens.
    public var teamId: String
    /// For `warning`: the fraction of the span that has elapsed, e.g. `0.75`.
    public var threshold: Double?
    /// For `warning` and `breached`: how long after its scheduled instant the event fired, when more than the
    /// tolerance (the router was down or busy). For `met`: how long after `dueAt` the milestone was met.
    public var lateBy: TimeInterval?
    /// For `met` and `cancelled`: the status update that caused it.
    public var status: ReferralStatus?

    public init(
        referralId: String,
        policyId: String,
        milestone: String,
        kind: Kind,
        dueAt: Date,
        at: Date,
        teamId: String,
        threshold: Double? = nil,
        lateBy: TimeInterval? = nil,
        status: ReferralStatus? = nil
    ) {
        self.referralId = referralId
        self.timerId = MilestoneTimer.timerId(referralId: referralId, milestone: milestone)
        self.policyId = policyId
        self.milestone = milestone
        self.kind = kind
        self.dueAt = dueAt
        self.at = at
        self.teamId = teamId
        self.threshold = threshold
        self.lateBy = lateBy
        self.status = status
    }

    private enum CodingKeys: String, CodingKey {
        case referralId, timerId
        case policyId = "policy"
        case milestone
        case kind = "event"
        case dueAt, at, teamId, threshold, lateBy
        case status
    }
}
