import Foundation
import ReferralRouter
import Testing

/// `referral-router bench` as `make bench` runs it, at a size a test can afford: every phase measured, the memory
/// of open timers measured in a child process, and the figures written as JSON. Speed is not asserted (it is the
/// benchmark's to measure); that every figure is there and consistent is.
@Suite("The bench command", .serialized, .timeLimit(.minutes(5)))
struct BenchCommandTests {
    @Test("bench measures the raw pipe, both guarantees and the memory of open timers, and writes them as JSON")
    func benchWritesEveryFigure() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: ProcessHarness.binary)
        bench.currentDirectoryURL = URL(fileURLWithPath: ProcessHarness.binary)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        bench.arguments = [
            "bench", "--records", "2000", "--partitions", "4", "--no-warmup", "--no-latency", "--memory-timers", "5000",
            "--output", output.path,
        ]
        let printed = Pipe()
        bench.standardOutput = printed
        bench.standardError = FileHandle.nullDevice
        try bench.run()
        let text = String(decoding: printed.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()
        #expect(bench.terminationStatus == 0, "bench exits cleanly")

        let result = try JSONDecoder().decode(PipelineBenchmark.Result.self, from: Data(contentsOf: output))
        #expect(result.records == 2000)
        #expect(result.outputsPerRecord > 1, "every record is measured with the outputs the router publishes for it")
        let raw = try #require(result.rawPipe)
        let router = try #require(result.router)
        let exactlyOnce = try #require(result.exactlyOnce)
        for phase in [raw, router, exactlyOnce] {
            #expect(phase.recordsPerSecond > 0)
            #expect(phase.cpuMicrosecondsPerRecord > 0)
        }
        #expect(raw.ratio == 1)
        #expect(abs(router.ratio - router.recordsPerSecond / raw.recordsPerSecond) < 1e-9, "ratios are to the pipe of the same round")
        #expect(abs(exactlyOnce.ratio - exactlyOnce.recordsPerSecond / raw.recordsPerSecond) < 1e-9)

        let memory = try #require(result.timerMemory, "the memory of open timers is part of every run")
        #expect(memory.openTimers >= 5000)
        #expect(memory.referrals > 5000 / 3 && memory.referrals < 5000, "each referral opens one to three timers")
        #expect(memory.residentGrowthBytes > 0)
        #expect(memory.peakResidentBytes > memory.residentGrowthBytes)
        #expect(memory.targetPeakResidentBytes == 512 << 20)

        #expect(text.contains("router (default):"))
        #expect(text.contains("router (exactly_once):"))
        #expect(text.contains("× raw pipe"))
        #expect(text.contains("memory (\(memory.openTimers) open timers"))
        #expect(text.contains("target ≤ 512 MiB"))
    }
}
