import ArgumentParser
import Deadlines
import Foundation
import ReferralRouter
import SteeringModel

/// `referral-router deadline`: computes one due time by the Finnish counting rules, with the explanation.
struct DeadlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "Compute a statutory due time (Act 150/1930) in Europe/Helsinki.",
        discussion: """
            Units: wd (working days), swd (school working days), d (calendar days), w (weeks), m (months), \
            h (clock hours). Example: referral-router deadline --from 2025-04-16T10:00:00+03:00 --add 7wd --explain
            """
    )

    @Option(name: .long, help: "The event instant, RFC 3339 with an offset.")
    var from: String

    @Option(name: .long, help: "The span: <N><unit>, e.g. 7wd, 3m, 4h, 7swd.")
    var add: String

    @Option(name: .long, help: "national, national:<municipality code>, or school:<municipality code or school id>.")
    var calendar: String = "national"

    @Flag(name: .long, help: "Do not move a deadline that ends on a non-working day (health-care guarantees).")
    var noRoll = false

    @Flag(name: .long, help: "Print the rule, the calendar and the days skipped.")
    var explain = false

    @Option(name: .long, help: "The steering configuration directory, for closure days and school calendars.")
    var config: String?

    func run() async throws {
        guard let start = RFC3339.parse(self.from) else {
            throw ValidationError("--from must be an RFC 3339 timestamp with an offset, e.g. 2026-11-16T09:30:00+02:00")
        }
        let span: DeadlineSpan
        do {
            span = try DeadlineSpan(parsing: self.add)
        } catch {
            throw ValidationError("--add: \(error)")
        }
        let calendars = try loadConfiguration(self.config).calendars
        let calculator: DeadlineCalculator
        let parts = self.calendar.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "national":
            calculator = DeadlineCalculator(national: calendars.nationalCalendar(municipality: parts.count > 1 ? parts[1] : nil))
        case "school":
            guard parts.count == 2 else { throw ValidationError("--calendar school:<municipality code or school id>") }
            let key = parts[1]
            let isMunicipality = key.count == 3 && key.allSatisfy(\.isNumber)
            let municipality = isMunicipality ? key : nil
            let selection = calendars.schoolCalendar(
                schoolId: isMunicipality ? nil : key, municipality: municipality, on: CivilDate(instant: start))
            calculator = DeadlineCalculator(national: calendars.nationalCalendar(municipality: municipality), school: selection)
        default:
            throw ValidationError("--calendar must be national, national:<code> or school:<code or id>")
        }
        let deadline = try calculator.deadline(span, from: start, roll: !self.noRoll)
        print(LocalRFC3339.format(deadline.dueAt))
        if self.explain {
            let explanation = deadline.explanation
            print("rule:     \(explanation.rule)")
            print("calendar: \(explanation.calendar)\(explanation.calendarFellBack ? " (fell back to the national calendar)" : "")")
            print("start:    \(deadline.startDate) (the event day is not counted for day-based spans)")
            print("raw date: \(deadline.rawDate); due date: \(deadline.dueDate)\(deadline.wasRolled ? " (rolled)" : "")")
            if !explanation.skippedDays.isEmpty {
                print("not counted:")
                for day in explanation.skippedDays { print("  \(day)") }
            }
            if !explanation.rolledPast.isEmpty {
                print("moved past:")
                for day in explanation.rolledPast { print("  \(day)") }
            }
            for note in explanation.notes { print("note: \(note)") }
        }
    }
}
