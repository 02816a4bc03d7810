import Deadlines
import Foundation
import SteeringModel
import Testing

@testable import ReferralRouter

/// The hand-written timer state must read back, through `Codable`, as exactly the timers that were written —
/// for every shipped policy and urgency, in every state a timer can be in.
@Suite("Timer state encoding")
struct TimerStateWriterTests {
    static let configuration = try! SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
    /// Wednesday 10 September 2025, 09:00 in Helsinki.
    static let receipt = Date(timeIntervalSince1970: 1_757_484_000)

    private func roundTrip(_ timers: ReferralTimers, writer: TimerStateWriter) throws -> ReferralTimers? {
        var json = JSONWriter()
        json.beginObject()
        json.key("timers")
        writer.write(timers, into: &json)
        json.endObject()
        // What the state record holds parses as JSON, and decodes back.
        guard case .success = JSONParser.parse(json.bytes) else {
            Issue.record("not JSON: \(json.string)")
            return nil
        }
        return RecordProcessor.decodeTimers(json.bytes)
    }

    @Test func everyPolicyAndStateReadsBackUnchanged() throws {
        let writer = TimerStateWriter()
        let calculator = DeadlineCalculator()
        var checked = 0
        for policy in Self.configuration.policies.policies {
            for urgency in [nil, "urgent", "high", "normal", "low"] as [String?] {
                var timers = ReferralTimers(referralId: "r-\"quoted\"\\id")
                #expect(try self.roundTrip(timers, writer: writer) == timers)
                _ = try timers.start(policy: policy, urgency: urgency, teamId: "team-ä", at: Self.receipt, calculator: calculator)
                #expect(try self.roundTrip(timers, writer: writer) == timers)
                // Warnings fired, then breached, then met late or cancelled.
                for days in [1.0, 3, 10, 40, 400] {
                    _ = timers.clockAdvanced(to: Self.receipt.addingTimeInterval(days * 86_400))
                    #expect(try self.roundTrip(timers, writer: writer) == timers)
                    checked += 1
                }
                for status in [ReferralStatus.acknowledged, .firstContact, .assessmentStarted, .serviceStarted, .closed] {
                    _ = try timers.statusReceived(status, at: Self.receipt.addingTimeInterval(500 * 86_400), calculator: calculator)
                    #expect(try self.roundTrip(timers, writer: writer) == timers)
                }
            }
        }
        #expect(checked >= 30)
    }
}
