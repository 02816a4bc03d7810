import Deadlines
import Foundation
import Testing

/// Every input in every timer state, as a table: one milestone that starts on `acknowledged`, is met by
/// `first_contact` or `service_started`, and is due on the 7th working day (Friday 19 September 2025).
@Suite struct ReferralTimersTransitionTests {
    enum Input: Sendable, CustomTestStringConvertible {
        case status(ReferralStatus)
        case reassignedTo(String)
        /// Past the 75 % warning, before the due time.
        case clockToWarning
        /// Past the due time.
        case clockPastDue

        var testDescription: String {
            switch self {
            case .status(let status): status.rawValue
            case .reassignedTo(let team): "reassigned to \(team)"
            case .clockToWarning: "clock to the warning"
            case .clockPastDue: "clock past due"
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var state: MilestoneTimer.State
        var input: Input
        var next: MilestoneTimer.State
        var events: [SLAEvent.Kind]
        var ownerChanged = false

        var testDescription: String { "\(state) + \(input.testDescription) → \(next) \(events)" }
    }

    static let policy = SLAPolicy(
        id: "single",
        name: "Single milestone",
        legalBasis: TestPolicies.basis,
        milestones: [
            SLAMilestone(
                id: "m",
                span: .workingDays(7),
                metBy: [.firstContact, .serviceStarted],
                startsOn: .acknowledged
            )
        ]
    )
    static let calculator = DeadlineCalculator()
    static let receipt = ReferralTimersTests.instant("2025-09-10T09:00:00+03:00")
    static let warningTime = ReferralTimersTests.instant("2025-09-18T12:00:00+03:00")
    static let breachedTime = ReferralTimersTests.instant("2025-09-20T00:00:30+03:00")
    static let pastDueTime = ReferralTimersTests.instant("2025-09-22T12:00:00+03:00")
    static let statusTime = ReferralTimersTests.instant("2025-09-12T12:00:00+03:00")

    static func timers(in state: MilestoneTimer.State) throws -> ReferralTimers {
        var timers = ReferralTimers(referralId: "r-1")
        _ = try timers.start(policy: policy, teamId: "team-a", at: receipt, calculator: calculator)
        guard state != .waiting else { return timers }
        _ = try timers.statusReceived(.acknowledged, at: receipt, calculator: calculator)
        switch state {
        case .waiting, .running: break
        case .breached: _ = timers.clockAdvanced(to: breachedTime)
        case .met: _ = try timers.statusReceived(.firstContact, at: statusTime, calculator: calculator)
        case .cancelled: _ = try timers.statusReceived(.closed, at: statusTime, calculator: calculator)
        }
        return timers
    }

    static let rows: [Row] = {
        var rows: [Row] = [
            // waiting: only its start status starts it; a meeting status meets it silently.
            Row(state: .waiting, input: .status(.acknowledged), next: .running, events: [.started]),
            Row(state: .waiting, input: .status(.firstContact), next: .met, events: []),
            Row(state: .waiting, input: .status(.assessmentStarted), next: .waiting, events: []),
            Row(state: .waiting, input: .status(.assessmentCompleted), next: .waiting, events: []),
            Row(state: .waiting, input: .status(.serviceStarted), next: .met, events: []),
            Row(state: .waiting, input: .status(.closed), next: .cancelled, events: []),
            Row(state: .waiting, input: .status(.withdrawn), next: .cancelled, events: []),
            Row(state: .waiting, input: .reassignedTo("team-b"), next: .waiting, events: [], ownerChanged: true),
            Row(state: .waiting, input: .clockToWarning, next: .waiting, events: []),
            Row(state: .waiting, input: .clockPastDue, next: .waiting, events: []),
            // running
            Row(state: .running, input: .status(.acknowledged), next: .running, events: []),
            Row(state: .running, input: .status(.firstContact), next: .met, events: [.met]),
            Row(state: .running, input: .status(.assessmentStarted), next: .running, events: []),
            Row(state: .running, input: .status(.assessmentCompleted), next: .running, events: []),
            Row(state: .running, input: .status(.serviceStarted), next: .met, events: [.met]),
            Row(state: .running, input: .status(.closed), next: .cancelled, events: [.cancelled]),
            Row(state: .running, input: .status(.withdrawn), next: .cancelled, events: [.cancelled]),
            Row(state: .running, input: .reassignedTo("team-b"), next: .running, events: [], ownerChanged: true),
            Row(state: .running, input: .clockToWarning, next: .running, events: [.warning]),
            Row(state: .running, input: .clockPastDue, next: .breached, events: [.warning, .breached]),
            // breached: still open; met late or cancelled; never breached twice.
            Row(state: .breached, input: .status(.acknowledged), next: .breached, events: []),
            Row(state: .breached, input: .status(.firstContact), next: .met, events: [.met]),
            Row(state: .breached, input: .status(.assessmentStarted), next: .breached, events: []),
            Row(state: .breached, input: .status(.assessmentCompleted), next: .breached, events: []),
            Row(state: .breached, input: .status(.serviceStarted), next: .met, events: [.met]),
            Row(state: .breached, input: .status(.closed), next: .cancelled, events: [.cancelled]),
            Row(state: .breached, input: .status(.withdrawn), next: .cancelled, events: [.cancelled]),
            Row(state: .breached, input: .reassignedTo("team-b"), next: .breached, events: [], ownerChanged: true),
            Row(state: .breached, input: .clockToWarning, next: .breached, events: []),
            Row(state: .breached, input: .clockPastDue, next: .breached, events: []),
        ]
        // met and cancelled are final: nothing but the owner changes.
        for state in [MilestoneTimer.State.met, .cancelled] {
            for status in ReferralStatus.allCases where status != .reassigned {
                rows.append(Row(state: state, input: .status(status), next: state, events: []))
            }
            rows.append(Row(state: state, input: .reassignedTo("team-b"), next: state, events: [], ownerChanged: true))
            rows.append(Row(state: state, input: .clockToWarning, next: state, events: []))
            rows.append(Row(state: state, input: .clockPastDue, next: state, events: []))
        }
        return rows
    }()

    @Test func theTableCoversEveryStateAndInput() {
        #expect(Self.rows.count == 5 * 10)
    }

    @Test(arguments: rows)
    func transition(row: Row) throws {
        var timers = try Self.timers(in: row.state)
        #expect(timers.timers.map(\.state) == [row.state])
        var published: [SLAEvent] = []
        var ownerChanged = false
        switch row.input {
        case .status(let status):
            switch try timers.statusReceived(status, at: Self.statusTime, calculator: Self.calculator) {
            case .publish(let events, _): published = events
            case .ownerChanged: ownerChanged = true
            case .noEffect, .notStarted: break
            }
        case .reassignedTo(let team):
            let action = try timers.statusReceived(
                .reassigned,
                at: Self.statusTime,
                teamId: team,
                calculator: Self.calculator
            )
            ownerChanged = action == .ownerChanged(previous: "team-a", current: team)
        case .clockToWarning, .clockPastDue:
            let now = if case .clockToWarning = row.input { Self.warningTime } else { Self.pastDueTime }
            if case .publish(let events) = timers.clockAdvanced(to: now) { published = events }
        }
        #expect(timers.timers.map(\.state) == [row.next])
        #expect(published.map(\.kind) == row.events)
        #expect(ownerChanged == row.ownerChanged)
        #expect(published.allSatisfy { $0.timerId == "r-1/m" && $0.teamId == "team-a" })
        if row.next == .running || row.next == .breached {
            // Started at the receipt (Wednesday 10th), or by this very update (Friday 12th).
            let due = row.state == .waiting ? "2025-09-23T23:59:59.999+03:00" : "2025-09-19T23:59:59.999+03:00"
            #expect(LocalRFC3339.format(timers.timers[0].dueAt) == due)
        }
    }
}
