/// A status a case owner reports for a referral (`referrals.status`).
public enum ReferralStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case acknowledged
    case firstContact = "first_contact"
    case assessmentStarted = "assessment_started"
    case assessmentCompleted = "assessment_completed"
    case serviceStarted = "service_started"
    case closed
    case withdrawn
    case reassigned

    /// `closed` and `withdrawn` cancel every timer still open.
    public var cancelsOpenTimers: Bool {
        self == .closed || self == .withdrawn
    }

    /// Whether the status can meet or start a milestone (not `closed`, `withdrawn` or `reassigned`).
    public var isProgress: Bool {
        switch self {
        case .closed, .withdrawn, .reassigned: false
        default: true
        }
    }

    /// The wire value, e.g. `first_contact`.
    public var description: String {
        self.rawValue
    }
}
