import struct Foundation.Date
import struct Foundation.TimeZone

/// RFC 3339 timestamps with the local UTC offset of a zone, e.g. `2025-04-28T23:59:59.999+03:00`.
///
/// Due times are shown in local time so that a reader sees the due date itself; the offset makes the text an
/// exact instant.
public enum LocalRFC3339 {
    /// Formats `instant` at the UTC offset `timeZone` (`nil`: Europe/Helsinki) has at that instant, with milliseconds.
    public static func format(_ instant: Date, in timeZone: TimeZone? = nil) -> String {
        format(epochMilliseconds: instant.epochMilliseconds, in: timeZone)
    }

    /// Formats an instant given in milliseconds since 1970-01-01T00:00:00Z.
    public static func format(epochMilliseconds: Int64, in timeZone: TimeZone? = nil) -> String {
        let parts = Self.parts(epochMilliseconds: epochMilliseconds, in: timeZone)
        guard parts.isFast else {
            return Self.slowFormat(date: parts.date, millisecondsOfDay: parts.millisecondsOfDay, offset: parts.offset)
        }
        // Written byte by byte into the string's own storage (this runs several times for every output record).
        return String(unsafeUninitializedCapacity: parts.offset == 0 ? 24 : 29) { Self.write(parts, into: $0) }
    }

    /// The most bytes ``write(epochMilliseconds:in:into:)`` writes.
    public static let maximumLength = 40

    /// Writes the text of `instant` into `buffer` (at least ``maximumLength`` bytes); the bytes
    /// ``format(_:in:)`` returns.
    public static func write(_ instant: Date, in timeZone: TimeZone? = nil, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        Self.write(epochMilliseconds: instant.epochMilliseconds, in: timeZone, into: buffer)
    }

    /// Writes the text into `buffer` (at least ``maximumLength`` bytes), for writers that need no string of it.
    ///
    /// - Returns: the number of bytes written, the same bytes ``format(epochMilliseconds:in:)`` returns.
    public static func write(epochMilliseconds: Int64, in timeZone: TimeZone? = nil, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(buffer.count >= Self.maximumLength, "LocalRFC3339.write needs a buffer of maximumLength bytes")
        let parts = Self.parts(epochMilliseconds: epochMilliseconds, in: timeZone)
        guard parts.isFast else {
            let text = Self.slowFormat(date: parts.date, millisecondsOfDay: parts.millisecondsOfDay, offset: parts.offset)
            let count = min(text.utf8.count, buffer.count)
            for (index, byte) in text.utf8.prefix(count).enumerated() { buffer[index] = byte }
            return count
        }
        return Self.write(parts, into: buffer)
    }

    private struct Parts {
        var date: CivilDate
        var millisecondsOfDay: Int
        var offset: Int
        /// A four-digit year and an offset below a day: the fixed-width text.
        var isFast: Bool { (0...9999).contains(self.date.year) && abs(self.offset) < 86_400 }
    }

    private static func parts(epochMilliseconds: Int64, in timeZone: TimeZone?) -> Parts {
        let wholeSeconds = epochMilliseconds >= 0 ? epochMilliseconds / 1000 : (epochMilliseconds - 999) / 1000
        let offset = UTCOffsets.offset(atSecond: wholeSeconds, in: timeZone)
        let local = epochMilliseconds + Int64(offset) * 1000
        let millisecondsOfDay = Int(((local % 86_400_000) + 86_400_000) % 86_400_000)
        let date = CivilDate(daysSinceEpoch: Int((local - Int64(millisecondsOfDay)) / 86_400_000))
        return Parts(date: date, millisecondsOfDay: millisecondsOfDay, offset: offset)
    }

    /// The fixed-width text: 24 bytes in UTC, 29 with an offset.
    private static func write(_ parts: Parts, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let (millisecondsOfDay, offset) = (parts.millisecondsOfDay, parts.offset)
        var writer = ASCIIDigits(buffer)
        parts.date.write(into: &writer)
        writer.byte(UInt8(ascii: "T"))
        writer.digits(millisecondsOfDay / 3_600_000, 2)
        writer.byte(UInt8(ascii: ":"))
        writer.digits(millisecondsOfDay / 60_000 % 60, 2)
        writer.byte(UInt8(ascii: ":"))
        writer.digits(millisecondsOfDay / 1000 % 60, 2)
        writer.byte(UInt8(ascii: "."))
        writer.digits(millisecondsOfDay % 1000, 3)
        if offset == 0 {
            writer.byte(UInt8(ascii: "Z"))
        } else {
            let magnitude = abs(offset)
            writer.byte(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            writer.digits(magnitude / 3600, 2)
            writer.byte(UInt8(ascii: ":"))
            writer.digits(magnitude / 60 % 60, 2)
        }
        return writer.count
    }

    /// Years outside 0…9999 (never a due date, but still formatted correctly).
    private static func slowFormat(date: CivilDate, millisecondsOfDay: Int, offset: Int) -> String {
        var text = date.description + "T"
        text += CivilDate.pad(millisecondsOfDay / 3_600_000, 2) + ":"
        text += CivilDate.pad(millisecondsOfDay / 60_000 % 60, 2) + ":"
        text += CivilDate.pad(millisecondsOfDay / 1000 % 60, 2) + "."
        text += CivilDate.pad(millisecondsOfDay % 1000, 3)
        if offset == 0 {
            text += "Z"
        } else {
            let magnitude = abs(offset)
            text += (offset < 0 ? "-" : "+") + CivilDate.pad(magnitude / 3600, 2) + ":"
            text += CivilDate.pad(magnitude / 60 % 60, 2)
        }
        return text
    }
}
