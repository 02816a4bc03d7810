import Foundation
import SteeringModel
import Testing

@Suite struct JSONParserTests {
    @Test func parsesNestedDocumentsInOrder() throws {
        let value = try JSONParser.parse(Array(#" {"b": [1, -2.5e3, true, null], "a": "x\u00e4\n"} "#.utf8)).get()
        guard case .object(let object) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(object.keys == ["b", "a"])
        #expect(object["a"] == .string("xä\n"))
        #expect(object["b"] == .array([.number(JSONNumber(text: "1")), .number(JSONNumber(text: "-2.5e3")), .bool(true), .null]))
    }

    @Test func decodesSurrogatePairsAndMultiByteUTF8() throws {
        let value = try JSONParser.parse(Array(#"["\ud83d\ude00", "Kärkölä 😀"]"#.utf8)).get()
        #expect(value == .array([.string("😀"), .string("Kärkölä 😀")]))
    }

    static let malformed: [(String, JSONParser.Failure.Kind)] = [
        ("", .syntax), ("{", .syntax), ("{\"a\":}", .syntax), ("[1,]", .syntax), ("{\"a\":1,}", .syntax),
        ("01", .syntax), ("1.", .syntax), ("-", .syntax), ("tru", .syntax), ("\"abc", .syntax), ("\"\\x\"", .syntax),
        ("{} {}", .syntax), ("\"a\u{01}\"", .syntax), ("{\"a\":1,\"a\":2}", .duplicateKey), ("\"\\ud800\"", .invalidUTF8),
        ("\"\\udc00x\"", .invalidUTF8), ("[\"\\ud83dx\"]", .invalidUTF8),
    ]

    @Test(arguments: Self.malformed)
    func rejectsMalformedDocuments(text: String, kind: JSONParser.Failure.Kind) {
        guard case .failure(let failure) = JSONParser.parse(Array(text.utf8)) else {
            Issue.record("\(text) must not parse")
            return
        }
        #expect(failure.kind == kind)
    }

    @Test(arguments: [[0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xFF, 0x22]] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        guard case .failure(let failure) = JSONParser.parse(bytes) else {
            Issue.record("invalid UTF-8 must not parse")
            return
        }
        #expect(failure.kind == .invalidUTF8)
    }

    @Test func boundsNestingDepth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        guard case .failure(let failure) = JSONParser.parse(Array(deep.utf8)) else {
            Issue.record("deep nesting must be rejected")
            return
        }
        #expect(failure.kind == .tooDeeplyNested)
        let fine = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect((try? JSONParser.parse(Array(fine.utf8)).get()) != nil)
    }

    @Test func writerRoundTripsThroughParser() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("text", "quote \" backslash \\ newline \n tab \t bell \u{07} ä")
        writer.field("n", 42)
        writer.key("list")
        writer.beginArray()
        writer.value(true)
        writer.null()
        writer.beginObject()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        let parsed = try JSONParser.parse(writer.bytes).get()
        guard case .object(let object) = parsed else {
            Issue.record("expected an object")
            return
        }
        #expect(object["text"] == .string("quote \" backslash \\ newline \n tab \t bell \u{07} ä"))
        #expect(object["n"] == .number(JSONNumber(text: "42")))
        #expect(object["list"] == .array([.bool(true), .null, .object(JSONObject())]))
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-16T09:30:00+02:00", 1_794_814_200.0),
        ("2026-11-16T07:30:00Z", 1_794_814_200.0),
        ("2026-11-16t07:30:00.250z", 1_794_814_200.25),
        ("2024-02-29T23:59:59-05:30", 1_709_270_999.0),
    ])
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(date.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        "2026-11-16T09:30:00", "2026-11-16 09:30:00Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-16T24:00:00Z", "2026-11-16T09:30:00+2:00", "yesterday", "2026-11-16T09:30:00.Z",
    ])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatsWithOffset() {
        #expect(RFC3339.format(epochMilliseconds: 1_794_814_200_000, offsetSeconds: 7200) == "2026-11-16T09:30:00.000+02:00")
        #expect(RFC3339.format(epochMilliseconds: 1_794_814_200_123, offsetSeconds: 0) == "2026-11-16T07:30:00.123Z")
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    /// Lengths around the block and padding boundaries (digests from Python's hashlib), whole and fed in pieces.
    @Test(arguments: [
        (1, "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5"),
        (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"),
        (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
        (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
        (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
        (128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        (1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"),
    ])
    func blockBoundaries(length: Int, digest: String) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        #expect(SHA256.hex(bytes) == digest)
        for piece in [1, 7, 63, 64, 65] {
            var hasher = SHA256()
            var start = 0
            while start < bytes.count {
                hasher.update(bytes[start..<min(start + piece, bytes.count)])
                start += piece
            }
            hasher.update([UInt8]())
            let hex = hasher.finalize().map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
            #expect(hex == digest, "pieces of \(piece)")
        }
    }
}

@Suite struct PersonalIdentityCodeTests {
    @Test(arguments: ["131052-308T", "010101A123N", "xx131052-308Tyy", "131052-308t", "131052-308U"])
    func recognisesValidCodes(text: String) {
        #expect(PersonalIdentityCode.looksLikeOne(text))
    }

    @Test(arguments: ["pseud-001", "131052Z308T", "c-4f9a2b", "", "131052-308G"])
    func acceptsPseudonyms(text: String) {
        #expect(!PersonalIdentityCode.looksLikeOne(text))
    }
}

/// `JSONNumber.integer` follows JSON Schema's `integer`: a whole value in any spelling, read exactly from its digits.
@Suite struct JSONNumberIntegerTests {
    @Test(arguments: [
        ("12", 12), ("-7", -7), ("0", 0), ("-0", 0), ("12.0", 12), ("12.000", 12), ("1.2e1", 12), ("1.2E+1", 12),
        ("120e-1", 12), ("0.0", 0), ("0e5", 0), ("-2.50e1", -25), ("1e18", 1_000_000_000_000_000_000),
    ])
    func wholeValues(text: String, value: Int) {
        #expect(JSONNumber(text: text).integer == value, "\(text)")
    }

    @Test(arguments: ["12.5", "4.0000000000000001", "5e-1", "1e-400", "1e19", "9223372036854775808", "1e400", "123456789012345678901e-1"])
    func notWholeOrTooLarge(text: String) {
        #expect(JSONNumber(text: text).integer == nil, "\(text)")
    }
}
