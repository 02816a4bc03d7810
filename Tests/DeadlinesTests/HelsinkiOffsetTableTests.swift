import Deadlines
import Foundation
import Testing

/// Local times and dates in Europe/Helsinki (the default zone) come from a table of the zone's transitions made
/// once; a zone given explicitly is asked through the time-zone database. Both must give the same answers.
@Suite struct HelsinkiOffsetTableTests {
    /// The zone given explicitly, so that it takes the database path.
    static let zone = TimeZone(identifier: "Europe/Helsinki")!

    @Test func theTableAgreesWithTheDatabaseAroundEveryTransition() {
        var instant = Date(timeIntervalSince1970: 0)
        var transitions = 0
        while let next = Self.zone.nextDaylightSavingTimeTransition(after: instant), next.timeIntervalSince1970 < 7_258_118_400 {
            let second = next.timeIntervalSince1970.rounded(.down)
            for delta in [-3601.0, -1, -0.001, 0, 0.001, 1, 3599, 86_399] {
                let probe = Date(timeIntervalSince1970: second + delta)
                #expect(LocalRFC3339.format(probe) == LocalRFC3339.format(probe, in: Self.zone))
                #expect(CivilDate(instant: probe) == CivilDate(instant: probe, in: Self.zone))
            }
            instant = next
            transitions += 1
        }
        #expect(transitions > 400)
    }

    @Test func theTableAgreesWithTheDatabaseAtRandomInstantsAndDays() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let probe = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...7_400_000_000, using: &generator)) / 1)
            #expect(LocalRFC3339.format(probe) == LocalRFC3339.format(probe, in: Self.zone))
            let day = CivilDate(instant: probe)
            #expect(day == CivilDate(instant: probe, in: Self.zone))
            #expect(day.startOfDay() == day.startOfDay(in: Self.zone))
            #expect(day.endOfDay() == day.endOfDay(in: Self.zone))
        }
    }

    @Test func knownOffsets() {
        // Summer time in 2027 begins at 01:00 UTC on 28 March and ends at 01:00 UTC on 31 October.
        #expect(LocalRFC3339.format(Date(timeIntervalSince1970: 1_806_195_599)) == "2027-03-28T02:59:59.000+02:00")
        #expect(LocalRFC3339.format(Date(timeIntervalSince1970: 1_806_195_600)) == "2027-03-28T04:00:00.000+03:00")
        #expect(LocalRFC3339.format(Date(timeIntervalSince1970: 1_824_944_399)) == "2027-10-31T03:59:59.000+03:00")
        #expect(LocalRFC3339.format(Date(timeIntervalSince1970: 1_824_944_400)) == "2027-10-31T03:00:00.000+02:00")
    }
}
