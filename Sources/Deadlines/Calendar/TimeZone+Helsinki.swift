import struct Foundation.TimeZone

extension TimeZone {
    /// `Europe/Helsinki`, the zone in which Finnish deadlines are counted (EET, UTC+2; EEST, UTC+3 in summer).
    ///
    /// - Important: Needs the system's time-zone database (tzdata). Without it nothing in this module can be
    ///   correct, so a missing zone stops the process at first use rather than counting in the wrong zone.
    public static var helsinki: TimeZone {
        helsinkiZone
    }
}

private let helsinkiZone: TimeZone = {
    guard let zone = TimeZone(identifier: "Europe/Helsinki") else {
        preconditionFailure("The time-zone database has no Europe/Helsinki: install tzdata")
    }
    return zone
}()
