import struct Foundation.Date

/// The timer of one milestone of one referral: a compact value (no heap storage of its own besides the
/// milestone id, which shares the configuration's string while in memory).
///
/// Instants are milliseconds since 1970-01-01T00:00:00Z. The milestone is due at ``dueAt`` inclusive and
/// breached from ``breachAt`` (one millisecond later). Warnings fire at `start + fraction × (breachAt − start)`.
public struct MilestoneTimer: Sendable, Hashable, Codable {
    /// Where the timer is in its life.
    ///
    /// `waiting` → `running` (its start status arrived) → `breached` (the due time passed) → `met` or `cancelled`;
    /// `running` may go straight to `met` or `cancelled`. `met` and `cancelled` are final.
    public enum State: UInt8, Sendable, Hashable, Codable {
        /// Waits for the status update that starts it (``startsOn``); no due time yet.
        case waiting
        /// Counting down.
        case running
        /// Past due and not yet met; can still be met (late) or cancelled.
        case breached
        /// Met by a status update (in time, or late after a breach).
        case met
        /// Cancelled by `closed` or `withdrawn`.
        case cancelled

        /// Whether the timer can still be met or cancelled.
        public var isOpen: Bool {
            self == .waiting || self == .running || self == .breached
        }
    }

    /// The milestone id, e.g. `assessment_started`.
    public let milestone: String
    public internal(set) var state: State
    /// How many of the warning thresholds have fired (they fire in ascending order).
    public internal(set) var warningsFired: UInt8
    /// The start instant (0 while waiting).
    public internal(set) var startMilliseconds: Int64
    /// The due instant, inclusive (0 while waiting).
    public internal(set) var dueMilliseconds: Int64
    /// The span, for a timer that starts later.
    public let span: DeadlineSpan
    /// Whether the due date rolls (Act 150/1930 5 §).
    public let roll: Bool
    public let metBy: ReferralStatusSet
    public let startsOn: ReferralStatus?
    public let thresholds: WarningThresholds

    /// A waiting timer for `milestone`; `defaultThresholds` apply when the milestone sets none.
    init(milestone: SLAMilestone, defaultThresholds: WarningThresholds) {
        self.milestone = milestone.id
        self.state = .waiting
        self.warningsFired = 0
        self.startMilliseconds = 0
        self.dueMilliseconds = 0
        self.span = milestone.span
        self.roll = milestone.roll
        self.metBy = ReferralStatusSet(milestone.metBy)
        self.startsOn = milestone.startsOn
        self.thresholds = milestone.warningThresholds ?? defaultThresholds
    }

    /// `<referralId>/<milestone>`, the timer's id in events and logs.
    public static func timerId(referralId: String, milestone: String) -> String {
        "\(referralId)/\(milestone)"
    }

    /// The first instant at which the milestone is breached.
    public var breachMilliseconds: Int64 {
        self.dueMilliseconds + 1
    }

    /// The instant of the warning at threshold `index`.
    public func warningMilliseconds(at index: Int) -> Int64 {
        let span = self.breachMilliseconds - self.startMilliseconds
        return self.startMilliseconds + span * Int64(self.thresholds.basisPoints(at: index)) / 10_000
    }

    /// The next instant at which something fires: the next warning, or the breach; `nil` unless running.
    public var nextFiringMilliseconds: Int64? {
        guard self.state == .running else { return nil }
        let next = Int(self.warningsFired)
        return next < self.thresholds.count ? self.warningMilliseconds(at: next) : self.breachMilliseconds
    }

    /// The due instant; meaningless while waiting.
    public var dueAt: Date {
        Date(epochMilliseconds: self.dueMilliseconds)
    }

    /// Starts the timer at `start` with the deadline computed for it.
    mutating func run(from start: Int64, due: Int64) {
        self.startMilliseconds = start
        self.dueMilliseconds = due
        self.state = .running
    }

    private enum CodingKeys: String, CodingKey {
        case milestone, state, warningsFired
        case startMilliseconds = "startMs"
        case dueMilliseconds = "dueMs"
        case span, roll
        case metBy, startsOn, thresholds
    }
}
