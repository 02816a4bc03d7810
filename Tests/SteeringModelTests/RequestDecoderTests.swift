import Foundation
import Testing

@testable import SteeringModel

/// The one-pass request decoder (``RequestDecoder``) against the full path (the parser and the field checks): it
/// may decline any record, but a record it accepts the full path must accept as the same request.
@Suite struct RequestDecoderTests {
    static let seeds: [String] = [
        #"{"type":"referral","id":"r-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"intake","unit":"neuvola-3","professionalRole":"public_health_nurse"},"client":{"ref":"pseud-1","ageYears":4,"municipality":"398","postalCode":"15210","language":"sv","schoolId":"s-1"},"need":{"concerns":["parenting","separation"],"urgency":"new_concern","severity":"mild"},"notes":"Perhe toivoo tukea. Åäö 😀"}"#,
        #"{"type":"referral","id":"r-2","submittedAt":"2026-11-16t07:30:00.125z","source":{"system":"intake"},"client":{"ref":"pseud-2","ageYears":0},"need":{"concerns":["child_protection"],"urgency":"emergency","severity":"severe"}}"#,
        " {\n  \"need\" : { \"severity\" : \"moderate\" , \"urgency\" : \"urgent\" , \"concerns\" : [ \"bullying\" , \"school_absence\" ] } ,\r\n\t\"client\" : { \"ageYears\" : 25 , \"ref\" : \"x\" } , \"source\" : { \"system\" : \"s\" } , \"submittedAt\" : \"2026-02-28T23:59:60-12:00\" , \"id\" : \"a.b_c:d-e\" , \"type\" : \"referral\" } \n",
        #"{"type":"consultation","id":"q-1","submittedAt":"2026-11-16T09:30:00Z","source":{"system":"intake"},"need":{"concerns":["neuropsychiatric"],"urgency":"urgent","severity":"moderate"},"consultation":{"caseOwnerTeam":"ph-fc-heinola","requestedUnitType":"ot_centre","question":"Miten? Ääkköset"}}"#,
        #"{"type":"consultation","id":"q-2","submittedAt":"2026-11-16T09:30:00Z","source":{"system":"intake"},"client":{"ageYears":12,"language":"en"},"need":{"concerns":["mental_health"],"urgency":"prevention","severity":"mild"},"consultation":{}}"#,
        #"{"type":"consultation","id":"q-3","submittedAt":"2026-11-16T09:30:00Z","source":{"system":"intake"},"client":{},"need":{"concerns":["disability","learning_difficulties","parenting"],"urgency":"ongoing_support","severity":"severe"},"consultation":{"question":"?"}}"#,
    ]

    static let statusSeeds: [String] = [
        #"{"referralId":"r-1","status":"reassigned","at":"2026-11-17T10:00:00+02:00","team":"ph-fc-hartola","newTeam":"x"}"#,
        #"{"referralId":"r-1","status":"reassigned","at":"2026-11-17T10:00:00+02:00","team":"ph-fc-hartola"}"#,
        #" { "at" : "2026-11-17T10:00:00Z" , "status" : "first_contact" } "#.replacingOccurrences(of: "{ ", with: "{ \"referralId\":\"r-2\", "),
        #"{"referralId":"r-3","status":"closed","at":"2026-11-17T10:00:00.5+02:00","team":"Tiimi Ä"}"#,
    ]

    /// Values that sit at the edges of what the decoder and the checks take.
    static let values: [String] = [
        "null", "true", "0", "00", "07", "25", "26", "-1", "-0", "1.0", "1e1", "4 ", "\"\"", "\"a\"", "\"a\\nb\"", "\"\\u00e4\"",
        "\"398\"", "\"39\"", "\"15210\"", "\"fi\"", "\"FI\"", "\"referral\"", "\"consultation\"", "\"urgent\"", "\"mild\"",
        "\"ot_centre\"", "\"parenting\"", "\"reassigned\"", "\"closed\"", "\"withdrawn\"", "[\"parenting\",\"parenting\"]", "[]", "[\"parenting\"]", "{}", "[{}]",
        "\"131052-308T\"", "\"2026-11-16T09:30:00\"", "\"2026-02-30T00:00:00Z\"", "\"\u{212A}\"", "\"x\u{01}\"",
        "\"" + String(repeating: "y", count: 129) + "\"", "\"" + String(repeating: "z", count: 65) + "\"",
        // Free texts against the limit of 40 characters: more bytes than that but fewer characters, combining marks.
        "\"" + String(repeating: "ä", count: 30) + "\"", "\"" + String(repeating: "e\u{301}", count: 30) + "\"",
        "\"" + String(repeating: "😀", count: 41) + "\"", "\"A\u{30A}\"", "\"\u{C5}\"",
    ]

    @Test func theUsualShapesAreDecodedInOnePassAsTheFullPathReadsThem() throws {
        let validator = RequestValidator()
        for seed in Self.seeds {
            let bytes = Array(seed.utf8)
            let full = try validator.validateRequestInFull(bytes).get()
            let decoded = bytes.withUnsafeBufferPointer { RequestDecoder.decode($0, maximumTextLength: 4000) }
            #expect(decoded == full, "\(seed)")
            // Byte for byte, not only equal as strings.
            #expect(decoded.map(Self.bytes) == Self.bytes(full))
        }
    }

    @Test func theUsualStatusUpdatesAreDecodedInOnePassAsTheFullPathReadsThem() throws {
        let validator = RequestValidator()
        for seed in Self.statusSeeds {
            let bytes = Array(seed.utf8)
            let full = try validator.validateStatusInFull(bytes).get()
            let decoded = bytes.withUnsafeBufferPointer(RequestDecoder.decodeStatus)
            #expect(decoded == full, "\(seed)")
            #expect(decoded.map(Self.bytes) == Self.bytes(full))
        }
    }

    @Test func aStatusUpdateTheDecoderTakesIsTheSameToTheFullPath() {
        let validator = RequestValidator(maximumRecordBytes: 8192)
        let (decoded, declinedValid) = Self.compare(
            Self.statusSeeds, iterations: Self.iterations / 2, mutations: 2, seed: 0x57A7_05,
            decode: { $0.withUnsafeBufferPointer(RequestDecoder.decodeStatus) },
            full: validator.validateStatusInFull, entry: validator.validateStatus, bytes: Self.bytes)
        print("status decoder: \(Self.iterations / 2) mutated records, \(decoded) decoded in one pass, \(declinedValid) valid ones left to the full path")
        #expect(decoded > Self.iterations / 100)
    }

    @Test func aRecordTheDecoderTakesIsTheSameRequestToTheFullPath() {
        let validator = RequestValidator(maximumRecordBytes: 8192, maximumTextLength: 40)
        let (decoded, declinedValid) = Self.compare(
            Self.seeds, iterations: Self.iterations, mutations: 3, seed: 0xDEC0DE,
            decode: { bytes in bytes.withUnsafeBufferPointer { RequestDecoder.decode($0, maximumTextLength: 40) } },
            full: validator.validateRequestInFull, entry: validator.validateRequest, bytes: Self.bytes)
        print("decoder: \(Self.iterations) mutated records, \(decoded) decoded in one pass, \(declinedValid) valid ones left to the full path")
        // The mutations leave many records valid: the decoder must have taken a good share of them, or this test
        // compared nothing.
        #expect(decoded > Self.iterations / 50)
    }

    static let iterations = ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"].flatMap(Int.init) ?? 100_000

    /// Mutates the seeds (1 to `mutations` times each) and, for every record the decoder takes, expects the full path
    /// to give the same value, byte for byte, and the validator's entry point the same answer.
    static func compare<Value: Equatable>(
        _ seeds: [String], iterations: Int, mutations: Int, seed: UInt64,
        decode: ([UInt8]) -> Value?,
        full: ([UInt8]) -> Result<Value, ValidationFailure>,
        entry: ([UInt8]) -> Result<Value, ValidationFailure>,
        bytes: (Value) -> [[UInt8]?]
    ) -> (decoded: Int, declinedValid: Int) {
        var rng = SplitMix(seed: seed)
        var decoded = 0
        var declinedValid = 0
        for _ in 0..<iterations {
            var record = Array(seeds[Int(rng.next() % UInt64(seeds.count))].utf8)
            for _ in 0..<(1 + Int(rng.next() % UInt64(mutations))) {
                Self.mutate(&record, &rng)
            }
            let answer = full(record)
            guard let value = decode(record) else {
                if case .success = answer { declinedValid += 1 }
                continue
            }
            decoded += 1
            #expect(answer == .success(value), "\(String(decoding: record, as: UTF8.self))")
            #expect((try? answer.get()).map(bytes) == bytes(value))
            // What the router calls gives the same answer.
            #expect(entry(record) == answer)
        }
        return (decoded, declinedValid)
    }

    /// Every string of a request as its UTF-8 bytes: `==` on strings holds canonically equivalent texts equal, and
    /// the decoder must keep the very bytes.
    static func bytes(_ request: ReferralRequest) -> [[UInt8]?] {
        let texts: [String?] = [
            request.id, request.source.system, request.source.unit, request.source.professionalRole, request.client.ref,
            request.client.municipality, request.client.postalCode, request.client.language, request.client.schoolId,
            request.consultation?.caseOwnerTeam, request.consultation?.question, request.notes,
        ]
        return texts.map { $0.map { Array($0.utf8) } }
    }

    static func bytes(_ update: StatusUpdate) -> [[UInt8]?] {
        [update.referralId, update.team, update.newTeam].map { $0.map { Array($0.utf8) } }
    }

    /// A record over the size limit is refused as too large, whatever its shape (the decoder is not asked).
    @Test func aRecordOverTheSizeLimitIsRefusedBeforeAnyDecoding() {
        func expectRefused<Value>(_ seeds: [String], _ validate: (RequestValidator, [UInt8]) -> Result<Value, ValidationFailure>) {
            for seed in seeds {
                let validator = RequestValidator(maximumRecordBytes: seed.utf8.count - 1)
                guard case .failure(let failure) = validate(validator, Array(seed.utf8)) else {
                    Issue.record("accepted a record over the limit: \(seed)")
                    continue
                }
                #expect(failure.code == .recordTooLarge)
            }
        }
        expectRefused(Self.seeds) { $0.validateRequest($1) }
        expectRefused(Self.statusSeeds) { $0.validateStatus($1) }
    }

    /// Bytes without contiguous storage take the full path and get the same answer.
    @Test func bytesWithoutContiguousStorageGetTheSameAnswer() {
        let validator = RequestValidator()
        for seed in Self.seeds {
            #expect(validator.validateRequest(seed.utf8.lazy.map { $0 }) == validator.validateRequestInFull(Array(seed.utf8)))
        }
        for seed in Self.statusSeeds {
            #expect(validator.validateStatus(seed.utf8.lazy.map { $0 }) == validator.validateStatusInFull(Array(seed.utf8)))
        }
    }

    /// One mutation: a member's value replaced by an edge value, a byte flipped, a range deleted, or a piece
    /// repeated.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix) {
        guard !bytes.isEmpty else { return }
        let position = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 5 {
        case 0, 1:
            // The value after a colon at or after `position`, up to the next ',' '}' or ']' (or the whole array).
            guard let colon = bytes[position...].firstIndex(of: UInt8(ascii: ":")) else { return }
            var end = colon + 1
            var depth = 0
            var inString = false
            while end < bytes.count {
                let byte = bytes[end]
                if inString {
                    if byte == UInt8(ascii: "\\") { end += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                    depth += 1
                } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    if depth == 0 { break }
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    break
                }
                end += 1
            }
            let value = Self.values[Int(rng.next() % UInt64(Self.values.count))]
            bytes.replaceSubrange((colon + 1)..<min(end, bytes.count), with: Array(value.utf8))
        case 2:
            bytes[position] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
        case 3:
            bytes.removeSubrange(position..<min(bytes.count, position + Int(rng.next() % 12) + 1))
        default:
            bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 24)], at: position)
        }
    }
}
