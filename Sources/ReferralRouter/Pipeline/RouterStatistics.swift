import Foundation
import KafkaIO
import NIOConcurrencyHelpers

/// Timer counts of one team.
struct TimerCounts: Sendable, Hashable {
    var open = 0
    var warned = 0
    var breached = 0

    /// Adds `other` (subtracts it with `sign` -1).
    mutating func add(_ other: TimerCounts, sign: Int = 1) {
        self.open += sign * other.open
        self.warned += sign * other.warned
        self.breached += sign * other.breached
    }
}

/// A status partition that keeps SLA timers from firing, and why.
struct TimerHoldingPartition: Sendable, Hashable {
    enum Reason: String, Sendable, Hashable, Comparable {
        /// Its backlog at assignment is not read yet.
        case statusBacklog = "status_backlog"
        /// It is parked at an update that waits for its request's replay.
        case waitingForRequest = "waiting_for_request"
        /// That update is being read again after its request.
        case readingUpdateAgain = "reading_update_again"

        /// What it means, for the status page.
        var meaning: String {
            switch self {
            case .statusBacklog: "backlog not read yet"
            case .waitingForRequest: "an update waits for its request's replay"
            case .readingUpdateAgain: "an update is read again after its request"
            }
        }

        static func < (lhs: Reason, rhs: Reason) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    var partition: KafkaPartition
    var reason: Reason
}

/// What the status endpoint shows: counts, health and progress, never personal data.
final class RouterStatistics: Sendable {
    struct Snapshot: Sendable {
        var startedAt: Date
        var routed = 0
        var consultations = 0
        var duplicates = 0
        var statusUpdates = 0
        var deadLettered: [String: Int] = [:]
        var assignedPartitions: [KafkaPartition] = []
        var lag: [KafkaPartition: Int64] = [:]
        var lastError: String?
        var lastErrorAt: Date?
        var brokerReachable = false
        var pollLoopHeartbeat: Date?
        var restoring = false
        var restoredReferrals = 0
        var stopping = false
        var configurationVersion: String
        var recordsInFlight = 0
        var slaEvents = 0
        var lastReloadAt: Date?
        var lastReloadError: String?
        /// Whether systemd was told `READY=1` (start-up finished): only then does a reload say `RELOADING=1`.
        var announcedReady = false
        var timersByTeam: [String: TimerCounts] = [:]
        /// The partitions that hold every timer now (empty in the steady state).
        var timersHeldBy: [TimerHoldingPartition] = []
    }

    private let box: NIOLockedValueBox<Snapshot>

    init(configurationVersion: String, now: Date = Date()) {
        self.box = NIOLockedValueBox(Snapshot(startedAt: now, configurationVersion: configurationVersion))
    }

    func update(_ body: (inout Snapshot) -> Void) {
        self.box.withLockedValue { body(&$0) }
    }

    var snapshot: Snapshot {
        self.box.withLockedValue { $0 }
    }

    func recordError(_ message: String, at date: Date = Date()) {
        self.update {
            $0.lastError = message
            $0.lastErrorAt = date
        }
    }

    /// The poll loop beat recently enough to count as alive.
    func isAlive(now: Date = Date(), within seconds: TimeInterval = 10) -> Bool {
        guard let beat = self.snapshot.pollLoopHeartbeat else { return false }
        return now.timeIntervalSince(beat) <= seconds
    }

    /// Connected, partitions assigned and state restored.
    func isReady(now: Date = Date()) -> Bool {
        let snapshot = self.snapshot
        return self.isAlive(now: now) && snapshot.brokerReachable && !snapshot.assignedPartitions.isEmpty
            && !snapshot.restoring && !snapshot.stopping
    }
}
