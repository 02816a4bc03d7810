import Foundation
import SteeringModel
import Testing

/// The hot path's hand-written writers and readers agree with slow, obviously correct references.
@Suite struct FastPathTests {
    /// Every string, whatever its bytes, is written as JSON that Foundation reads back as the same string: the
    /// eight-bytes-at-a-time escape scan may never let a quote, backslash or control character through.
    @Test func writtenStringsReadBackUnchangedAtEveryPosition() throws {
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "ä", "😀", " ", "a"]
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            for _ in 0..<40 {
                let text = String((0..<length).map { _ in specials.randomElement(using: &generator)! })
                var writer = JSONWriter()
                writer.beginObject()
                writer.field("k", text)
                writer.endObject()
                let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: String]
                #expect(decoded?["k"] == text, "\(Array(text.utf8))")
                // Our own strict parser reads it back the same way.
                guard case .success(.object(let object)) = JSONParser.parse(writer.bytes) else {
                    Issue.record("our parser rejected \(writer.string)")
                    continue
                }
                #expect(object["k"] == .string(text))
            }
        }
    }

    /// A special byte at each of the sixteen positions of two words, in an otherwise clean string.
    @Test(arguments: Array(0..<16))
    func aSingleSpecialByteIsEscapedWherever(position: Int) {
        for special in ["\"", "\\", "\u{0}", "\u{1F}"] {
            var characters = Array(repeating: "x", count: 16)
            characters[position] = special
            var writer = JSONWriter()
            writer.value(characters.joined())
            let escaped: String =
                switch special {
                case "\"": "\\\""
                case "\\": "\\\\"
                case "\u{0}": "\\u0000"
                default: "\\u001f"
                }
            var expected = Array(repeating: "x", count: 16)
            expected[position] = escaped
            #expect(writer.string == "\"" + expected.joined() + "\"")
        }
    }

    /// The writer grows its buffer as it goes: a document written from a 16-byte start is the same as one written
    /// into room to spare, `finish()` hands over exactly the bytes `bytes` shows, and the emptied writer starts
    /// a new document.
    @Test func aGrowingWriterWritesTheSameBytesAndFinishHandsThemOver() throws {
        func document(_ writer: inout JSONWriter, _ size: Int) {
            writer.beginObject()
            writer.field("name", String(repeating: "ä\"x", count: size))
            writer.key("list")
            writer.beginArray()
            for index in 0..<size {
                writer.beginObject()
                writer.field("index", index - size / 2)
                writer.field("flag", index.isMultiple(of: 2))
                writer.field("time", ascii: 8) { buffer in
                    for offset in 0..<8 { buffer[offset] = UInt8(ascii: "0") + UInt8(offset) }
                    return 8
                }
                writer.key("none")
                writer.null()
                writer.key("fraction")
                writer.value(Double(index) / 8)
                writer.endObject()
            }
            writer.endArray()
            writer.field(named: "named \u{1}", "v")
            writer.endObject()
        }
        for size in [0, 1, 7, 64, 700] {
            var small = JSONWriter(capacity: 1)
            var large = JSONWriter(capacity: 1 << 20)
            document(&small, size)
            document(&large, size)
            let shown = small.bytes
            #expect(small.count == shown.count)
            let finished = small.finish()
            #expect(finished == shown)
            #expect(finished == large.finish())
            _ = try JSONSerialization.jsonObject(with: Data(finished))
            // The emptied writer writes a new document from the start, with no separator left over.
            #expect(small.count == 0)
            small.beginArray()
            small.value(1)
            small.endArray()
            #expect(small.string == "[1]")
        }
    }

    /// A string value written in pieces is the same as the whole string written at once, escapes included.
    @Test func aStringWrittenInPiecesEqualsTheWholeString() {
        let pieces = ["plain ", "quote \" and \\ ", "", "tab\tnew\nline \u{1}", " Päijät-Häme §", String(repeating: "x", count: 40)]
        for count in 0...pieces.count {
            var whole = JSONWriter(capacity: 1)
            whole.beginArray()
            whole.value("before")
            whole.value(pieces.prefix(count).joined())
            whole.value("after")
            whole.endArray()
            var streamed = JSONWriter(capacity: 1)
            streamed.beginArray()
            streamed.value("before")
            streamed.beginString()
            for piece in pieces.prefix(count) { streamed.write(piece) }
            streamed.endString()
            streamed.value("after")
            streamed.endArray()
            #expect(streamed.string == whole.string)
        }
    }

    @Test func integersAreWrittenInDecimal() {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2000).map { _ in Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0..<64, using: &generator) }
        for number in [0, 1, 9, 10, 99, 100, 1000, -1, -9, -10, Int.max, Int.min, Int.max - 1, Int.min + 1] + random {
            var writer = JSONWriter()
            writer.value(number)
            #expect(writer.string == String(number))
        }
    }

    /// Non-ASCII text and escapes take the parser's slow path; it must decode exactly what Foundation decodes.
    @Test func stringsWithEscapesAndNonASCIIDecodeLikeFoundation() throws {
        let samples = [
            #""Päijät-Häme""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u00e4\u00F6 Kärkölä""#, #""😀 \ud83d\ude00 x""#,
            #""åäö\u0000end""#, #""ä""#, #""\u20ac€""#,
        ]
        for sample in samples {
            let expected = try JSONSerialization.jsonObject(with: Data(sample.utf8), options: .fragmentsAllowed) as? String
            #expect(JSONParser.parse(Array(sample.utf8)) == .success(.string(expected!)), "\(sample)")
        }
    }

    /// Duplicate member names are refused whether the object is small (linear look-up) or large (a set).
    @Test(arguments: [2, 31, 32, 33, 100])
    func duplicateNamesAreRefusedInObjectsOfAnySize(members: Int) {
        let unique = (0..<members).map { "\"m\($0)\":\($0)" }.joined(separator: ",")
        guard case .success = JSONParser.parse(Array("{\(unique)}".utf8)) else {
            Issue.record("unique members must parse")
            return
        }
        let duplicated = "{\(unique),\"m\(members / 2)\":0}"
        guard case .failure(let failure) = JSONParser.parse(Array(duplicated.utf8)) else {
            Issue.record("a duplicate member must be refused")
            return
        }
        #expect(failure.kind == .duplicateKey)
    }

    /// The byte-level RFC 3339 formatter agrees with Foundation's formatter over instants from 1970 to 2100,
    /// with and without an offset.
    @Test func timestampsFormatLikeFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            for offset in [0, 7200, 10800, -18000, 19800] {
                formatter.timeZone = TimeZone(secondsFromGMT: offset)
                let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
                var expected = formatter.string(from: date)
                if offset == 0 { expected = expected.replacingOccurrences(of: "+00:00", with: "Z") }
                #expect(RFC3339.format(epochMilliseconds: milliseconds, offsetSeconds: offset) == expected)
            }
        }
        #expect(RFC3339.format(epochMilliseconds: -1, offsetSeconds: 0) == "1969-12-31T23:59:59.999Z")
    }
}
