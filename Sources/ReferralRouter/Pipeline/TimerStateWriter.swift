import Deadlines
import NIOConcurrencyHelpers
import SteeringModel

/// Writes a referral's timers into its state record in the JSON form `ReferralTimers`' `Codable` conformance
/// reads back (`RecordProcessor.decodeTimers`), without `JSONEncoder`: a state record is written for every
/// decision, status update and timer firing, and encoding through `Codable` cost more than deciding.
///
/// The parts of a timer that come from its policy (span, roll, `metBy`, `startsOn`, thresholds) are the same for
/// every referral under a policy; they are rendered once and reused (the poll loop and the output worker share
/// the cache).
final class TimerStateWriter: Sendable {
    private struct PolicyPart: Hashable {
        var span: DeadlineSpan
        var roll: Bool
        var metBy: ReferralStatusSet
        var startsOn: ReferralStatus?
        var thresholds: WarningThresholds
    }

    private let rendered = NIOLockedValueBox<[PolicyPart: [UInt8]]>([:])

    func write(_ timers: ReferralTimers, into json: inout JSONWriter) {
        json.beginObject()
        json.field("referralId", timers.referralId)
        json.field("policyId", timers.policyId)
        json.field("teamId", timers.teamId)
        json.key("timers")
        json.beginArray()
        // In place: `for timer in` copied each timer out (its strings and sets retained and released).
        timers.timers.withUnsafeBufferPointer { timers in
            for index in timers.indices {
                json.beginObject()
                json.field("milestone", timers[index].milestone)
                json.field("state", Int(timers[index].state.rawValue))
                json.field("warningsFired", Int(timers[index].warningsFired))
                json.field("startMs", Int(timers[index].startMilliseconds))
                json.field("dueMs", Int(timers[index].dueMilliseconds))
                json.rawMembers(self.policyPart(of: timers[index]))
                json.endObject()
            }
        }
        json.endArray()
        json.endObject()
    }

    private func policyPart(of timer: MilestoneTimer) -> [UInt8] {
        let part = PolicyPart(
            span: timer.span, roll: timer.roll, metBy: timer.metBy, startsOn: timer.startsOn, thresholds: timer.thresholds)
        if let bytes = self.rendered.withLockedValue({ $0[part] }) { return bytes }
        var json = JSONWriter(capacity: 128)
        json.beginObject()
        json.field("span", timer.span.description)
        json.field("roll", timer.roll)
        json.field("metBy", strings: timer.metBy.statuses.map(\.rawValue))
        json.field("startsOn", timer.startsOn?.rawValue)
        json.key("thresholds")
        json.beginArray()
        for fraction in timer.thresholds.fractions {
            json.value(fraction)
        }
        json.endArray()
        json.endObject()
        // The members without the braces.
        let bytes = Array(json.finish().dropFirst().dropLast())
        self.rendered.withLockedValue { rendered in
            if rendered.count < 1024 { rendered[part] = bytes }
        }
        return bytes
    }
}
