import struct Foundation.Date

/// Strict RFC 3339 date-time parsing and formatting, without `DateFormatter` (slow, locale-dependent).
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. An offset is required.
    public static func parse(_ text: String) -> Date? {
        var date: Date?
        text.withUTF8InPlace { date = Self.parse(utf8: $0) }
        return date
    }

    /// ``parse(_:)`` over UTF-8 bytes (the request decoder reads the timestamp where it lies in the record).
    public static func parse(utf8 text: UnsafeBufferPointer<UInt8>) -> Date? {
        guard text.count >= 20, text.count <= 40 else { return nil }
        // Lower-case 't' and 'z' are allowed by RFC 3339: read as upper case (no other position accepts either).
        struct Upper {
            let text: UnsafeBufferPointer<UInt8>
            var count: Int { self.text.count }
            subscript(index: Int) -> UInt8 {
                let byte = self.text[index]
                return byte == UInt8(ascii: "t") || byte == UInt8(ascii: "z") ? byte &- 32 : byte
            }
        }
        let utf8 = Upper(text: text)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= utf8.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                let byte = utf8[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = digits(0, 4), utf8[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), utf8[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), utf8[10] == UInt8(ascii: "T"),
            let hour = digits(11, 2), utf8[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), utf8[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < utf8.count, utf8[index] >= UInt8(ascii: "0"), utf8[index] <= UInt8(ascii: "9") {
                fraction += Double(utf8[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < utf8.count else { return nil }
        var offsetSeconds = 0
        if utf8[index] == UInt8(ascii: "Z") {
            index += 1
        } else if utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-") {
            let sign = utf8[index] == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHours = digits(index + 1, 2), index + 3 < utf8.count, utf8[index + 3] == UInt8(ascii: ":"),
                let offsetMinutes = digits(index + 4, 2), offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == utf8.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Formats an instant in UTC with millisecond precision, e.g. `2026-11-22T07:15:00.000Z`.
    public static func format(_ date: Date) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        return format(epochMilliseconds: totalMilliseconds, offsetSeconds: 0)
    }

    /// Formats an instant at a fixed UTC offset, e.g. `2026-12-01T23:59:59.999+02:00`.
    public static func format(epochMilliseconds: Int64, offsetSeconds: Int) -> String {
        let local = epochMilliseconds + Int64(offsetSeconds) * 1000
        let millisecondsOfDay = Int(((local % 86_400_000) + 86_400_000) % 86_400_000)
        let days = Int((local - Int64(millisecondsOfDay)) / 86_400_000)
        let (year, month, day) = civilFromDays(days)
        let hour = millisecondsOfDay / 3_600_000
        let minute = millisecondsOfDay / 60_000 % 60
        let second = millisecondsOfDay / 1000 % 60
        let millisecond = millisecondsOfDay % 1000
        guard (0...9999).contains(year), abs(offsetSeconds) < 86_400 else {
            var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
            text += "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2) + "." + pad(millisecond, 3)
            if offsetSeconds == 0 {
                text += "Z"
            } else {
                let sign = offsetSeconds < 0 ? "-" : "+"
                let magnitude = abs(offsetSeconds)
                text += sign + pad(magnitude / 3600, 2) + ":" + pad(magnitude / 60 % 60, 2)
            }
            return text
        }
        // Written byte by byte into the string's own storage: every output record carries a few of these.
        return String(unsafeUninitializedCapacity: offsetSeconds == 0 ? 24 : 29) { buffer in
            var count = 0
            func digits(_ value: Int, _ width: Int) {
                var rest = value
                var position = count + width
                while position > count {
                    position -= 1
                    buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                    rest /= 10
                }
                count += width
            }
            func byte(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            digits(year, 4)
            byte(UInt8(ascii: "-"))
            digits(month, 2)
            byte(UInt8(ascii: "-"))
            digits(day, 2)
            byte(UInt8(ascii: "T"))
            digits(hour, 2)
            byte(UInt8(ascii: ":"))
            digits(minute, 2)
            byte(UInt8(ascii: ":"))
            digits(second, 2)
            byte(UInt8(ascii: "."))
            digits(millisecond, 3)
            if offsetSeconds == 0 {
                byte(UInt8(ascii: "Z"))
            } else {
                let magnitude = abs(offsetSeconds)
                byte(offsetSeconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                digits(magnitude / 3600, 2)
                byte(UInt8(ascii: ":"))
                digits(magnitude / 60 % 60, 2)
            }
            return count
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
