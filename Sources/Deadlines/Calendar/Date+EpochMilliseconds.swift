import struct Foundation.Date

extension Date {
    /// The instant `milliseconds` after 1970-01-01T00:00:00Z.
    init(epochMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, rounded to the nearest.
    var epochMilliseconds: Int64 {
        Int64((self.timeIntervalSince1970 * 1000).rounded())
    }
}
