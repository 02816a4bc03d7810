import Deadlines
import Foundation
import Testing

/// `Deadline.Explanation` keeps its members in a shared, immutable box replaced on a change: it must still behave as a
/// plain value.
@Suite struct ExplanationValueTests {
    static let deadline = try! DeadlineCalculator().deadline(
        .workingDays(7), from: Date(timeIntervalSince1970: 1_744_873_200))

    @Test func aChangedCopyLeavesTheOriginalAsItWas() {
        let original = Self.deadline.explanation
        var copy = original
        copy.notes.append("a note")
        copy.rule = "another rule"
        copy.skippedDays.removeAll()
        #expect(original.notes.isEmpty)
        #expect(original.rule.hasPrefix("the 7th working day"))
        #expect(!original.skippedDays.isEmpty)
        #expect(copy.notes == ["a note"] && copy.rule == "another rule" && copy.skippedDays.isEmpty)
        #expect(copy != original)
        // The cached deadline the original came from is unchanged too.
        #expect(Self.deadline.explanation == original)
    }

    @Test func equalMembersAreEqualAndHashAlikeInSeparateBoxes() {
        let one = Self.deadline.explanation
        let other = Deadline.Explanation(
            rule: one.rule, calendar: one.calendar, calendarFellBack: one.calendarFellBack, skippedDays: one.skippedDays,
            rolledPast: one.rolledPast, notes: one.notes)
        #expect(one == other)
        #expect(one.hashValue == other.hashValue)
        #expect(Set([one, other]).count == 1)
    }

    @Test func itCodesAsItsMembers() throws {
        let explanation = Self.deadline.explanation
        let data = try JSONEncoder().encode(explanation)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["rule", "calendar", "calendarFellBack", "skippedDays", "rolledPast", "notes"])
        #expect(try JSONDecoder().decode(Deadline.Explanation.self, from: data) == explanation)
    }
}
