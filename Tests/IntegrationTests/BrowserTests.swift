import Foundation
import KafkaIO
import ReferralRouter
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
}

/// The operator status page in a real headless browser (Debian's chromium). `make test` installs chromium; without
/// it the suite is skipped. The screenshot is kept in `artifacts/status-page.png`.
@Suite(
    "Status page in a headless browser", .serialized, .timeLimit(.minutes(3)),
    .enabled(if: Chromium.path != nil, "chromium is not installed (make test installs it)")
)
struct BrowserTests {
    static func freePort() -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
        #else
        return 18_080
        #endif
    }

    static func runChromium(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Chromium.path!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theStatusPageShowsHealthCountsAndConfiguration() async throws {
        let harness = try Harness(partitions: 2)
        harness.settings.http.port = Self.freePort()
        var traffic = SyntheticTraffic(seed: 8, prefix: "page", invalidShare: 0.2, duplicateShare: 0.05, statusShare: 0)
        let records = (0..<200).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) && running.application.isReady })
        let url = "http://127.0.0.1:\(harness.settings.http.port)/status"

        // Chromium now and then exits without output on a loaded 2-core machine (the whole suite running): tried
        // up to three times, so that the test judges the page, not the browser's start.
        var dom = ""
        for _ in 0..<3 where dom.isEmpty {
            dom = try Self.runChromium(["--dump-dom", url])
        }
        #expect(dom.contains("<title>referral-router status</title>"))
        #expect(dom.contains("id=\"health\"") && dom.contains(">READY<"), "the page says READY")
        #expect(dom.contains(harness.configuration.version))
        #expect(dom.contains("Dead letters by reason"))
        #expect(dom.contains("malformed_json") || dom.contains("invalid_utf8") || dom.contains("missing_field"))
        for forbidden in ["pseud-", "Synthetic demo record", "How should we support"] {
            #expect(!dom.contains(forbidden), "no personal data on the page")
        }

        let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("status-page.png").path
        try? FileManager.default.removeItem(atPath: screenshot)
        var size = 0
        for _ in 0..<3 where size == 0 {
            _ = try Self.runChromium(["--screenshot=\(screenshot)", "--window-size=1280,900", url])
            size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        }
        #expect(size > 10_000, "a screenshot of the page was taken")
        print("browser test: DOM \(dom.count) characters; screenshot \(screenshot) (\(size) bytes)")
        #expect(await running.stop() == nil)
    }
}
