import Deadlines
import Foundation
import Testing

@Suite struct DeadlineSpanTests {
    @Test(arguments: [
        ("7wd", DeadlineSpan.workingDays(7)), ("7swd", .schoolWorkingDays(7)), ("28d", .calendarDays(28)),
        ("3w", .weeks(3)), ("3m", .months(3)), ("4h", .clockHours(4)), ("same_or_next_wd", .sameOrNextWorkingDay),
        ("same_or_next_swd", .sameOrNextSchoolWorkingDay),
    ])
    func parsesAndPrints(text: String, span: DeadlineSpan) throws {
        #expect(try DeadlineSpan(parsing: text) == span)
        #expect(span.description == text)
    }

    @Test(arguments: [
        ("", DeadlineSpanError.missingCount("")), ("wd", .missingCount("wd")), ("7", .unknownUnit("7")),
        ("7 wd", .unknownUnit("7 wd")), ("7WD", .unknownUnit("7WD")), ("3y", .unknownUnit("3y")),
        ("0wd", .countOutOfRange("0wd")), ("121m", .countOutOfRange("121m")),
        ("99999999999h", .countOutOfRange("99999999999h")),
        ("-1d", .missingCount("-1d")),
    ])
    func rejectsWithAClearError(text: String, error: DeadlineSpanError) {
        #expect(throws: error) { try DeadlineSpan(parsing: text) }
    }

    @Test func decodingErrorsCarryTheMessage() {
        do {
            _ = try JSONDecoder().decode([DeadlineSpan].self, from: Data(#"["7wd", "7x"]"#.utf8))
            Issue.record("expected an error")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.debugDescription.hasPrefix(#"span "7x" has an unknown unit"#))
            #expect(context.codingPath.count == 1)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
