import Foundation
import KafkaIO
import NIOConcurrencyHelpers

/// A latency run cut into fixed windows, to tell the router's stalls from the host's: per window, the assignments
/// delivered and their worst latency, the feeder's worst lateness, each thread's CPU time and the time it waited
/// runnable for a CPU (`/proc/self/task/*/schedstat`), and the machine's idle and stolen time (`/proc/stat`).
///
/// Linux only; elsewhere the thread and machine columns stay empty.
public final class LatencyTimeline: @unchecked Sendable {
    public struct Window: Codable, Sendable {
        /// Start of the window, seconds from the run's start.
        public var atSeconds: Double
        public var assignments: Int
        public var maxLatencyMs: Double
        /// The feeder's worst lateness in the window: how long after its due instant a request was handed to
        /// librdkafka.
        public var feederLateMs: Double
        /// CPU time (milliseconds) per thread name, threads with at least 1 ms in the window.
        public var threadRunMs: [String: Double]
        /// Time (milliseconds) threads of that name waited runnable for a CPU, at least 1 ms.
        public var threadWaitMs: [String: Double]
        /// The machine's idle and stolen (hypervisor) time in the window, milliseconds over all CPUs.
        public var idleMs: Double
        public var stealMs: Double
    }

    let windowSeconds: Double
    private let start: Date
    private let windows: Int
    private struct Slot {
        var assignments = 0
        var maxLatencyMicroseconds: Int64 = 0
        var feederLateMicroseconds: Int64 = 0
    }
    private let slots: NIOLockedValueBox<[Slot]>
    private let samples = NIOLockedValueBox<[(threads: [Int: (name: String, run: UInt64, wait: UInt64)], idle: UInt64, steal: UInt64)]>([])
    private let stopped = NIOLockedValueBox(false)
    /// Which part of the benchmark started each librdkafka thread (see `labelNewThreads`).
    private let owners: [Int: String]

    init(start: Date, seconds: Double, owners: [Int: String] = [:], windowSeconds: Double = 0.1) {
        self.start = start
        self.owners = owners
        self.windowSeconds = windowSeconds
        self.windows = Int((seconds / windowSeconds).rounded(.up)) + 20
        self.slots = NIOLockedValueBox(Array(repeating: Slot(), count: self.windows))
    }

    private func slot(_ date: Date) -> Int? {
        let index = Int(date.timeIntervalSince(self.start) / self.windowSeconds)
        return index >= 0 && index < self.windows ? index : nil
    }

    func assignment(latencyMicroseconds: Int64, at date: Date = Date()) {
        guard let index = self.slot(date) else { return }
        self.slots.withLockedValue {
            $0[index].assignments += 1
            $0[index].maxLatencyMicroseconds = max($0[index].maxLatencyMicroseconds, latencyMicroseconds)
        }
    }

    func fed(due: Date, at date: Date = Date()) {
        guard let index = self.slot(date) else { return }
        let late = Int64(date.timeIntervalSince(due) * 1_000_000)
        self.slots.withLockedValue { $0[index].feederLateMicroseconds = max($0[index].feederLateMicroseconds, late) }
    }

    /// Labels every librdkafka thread not in `owners` yet as started by `owner`: call after that part of the
    /// benchmark (the embedded broker, the router, the feeder) has created its clients, because threads of one
    /// name (`rdk:broker1`) belong to different clients. Swift's and NIO's threads are shared and keep their names.
    static func labelNewThreads(_ owners: inout [Int: String], as owner: String) {
        for (tid, thread) in Self.threads() where owners[tid] == nil && thread.name.hasPrefix("rdk:") {
            owners[tid] = owner
        }
    }

    /// Samples the threads and the machine at every window boundary until `stop()`.
    func startSampling() {
        let thread = Thread { [self] in
            nameCurrentThread("bench-timeline")
            var next = 0
            while !self.stopped.withLockedValue({ $0 }) {
                let due = self.start.addingTimeInterval(Double(next) * self.windowSeconds)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
                let sample = (Self.threads(), Self.machine())
                self.samples.withLockedValue { $0.append((sample.0, sample.1.idle, sample.1.steal)) }
                next += 1
                if next > self.windows { break }
            }
        }
        thread.start()
    }

    func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    /// The windows from `from` seconds on (the warm-up is left out).
    func result(from: Double) -> [Window] {
        let slots = self.slots.withLockedValue { $0 }
        let samples = self.samples.withLockedValue { $0 }
        let tick = 1000.0 / Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        var result: [Window] = []
        for index in 0..<max(samples.count - 1, 0) {
            let at = Double(index) * self.windowSeconds
            guard at >= from else { continue }
            let before = samples[index]
            let after = samples[index + 1]
            var run: [String: Double] = [:]
            var waited: [String: Double] = [:]
            for (tid, now) in after.threads {
                let then = before.threads[tid] ?? (now.name, 0, 0)
                let name = self.owners[tid].map { "\($0) \(Self.family(now.name))" } ?? Self.family(now.name)
                run[name, default: 0] += Double(now.run &- then.run) / 1_000_000
                waited[name, default: 0] += Double(now.wait &- then.wait) / 1_000_000
            }
            let slot = slots[index]
            result.append(
                Window(
                    atSeconds: (at * 10).rounded() / 10, assignments: slot.assignments,
                    maxLatencyMs: Double(slot.maxLatencyMicroseconds) / 1000,
                    feederLateMs: Double(max(slot.feederLateMicroseconds, 0)) / 1000,
                    threadRunMs: run.filter { $0.value >= 1 }.mapValues { ($0 * 10).rounded() / 10 },
                    threadWaitMs: waited.filter { $0.value >= 1 }.mapValues { ($0 * 10).rounded() / 10 },
                    idleMs: Double(after.idle &- before.idle) * tick, stealMs: Double(after.steal &- before.steal) * tick))
        }
        return result
    }

    /// librdkafka numbers its broker threads (`rdk:broker1`, `rdk:broker2` …) and one client has several; a name
    /// keeps its prefix so that the windows stay comparable between runs.
    static func family(_ name: String) -> String {
        name.hasPrefix("rdk:broker") ? "rdk:broker" : name
    }

    /// Every thread of the process: name, CPU time and runnable-wait time in nanoseconds.
    static func threads() -> [Int: (name: String, run: UInt64, wait: UInt64)] {
        #if os(Linux)
        var result: [Int: (name: String, run: UInt64, wait: UInt64)] = [:]
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [:] }
        for task in tasks {
            guard let tid = Int(task),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/schedstat", encoding: .utf8),
                let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            else { continue }
            let fields = stat.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard fields.count >= 2 else { continue }
            result[tid] = (name.trimmingCharacters(in: .whitespacesAndNewlines), fields[0], fields[1])
        }
        return result
        #else
        return [:]
        #endif
    }

    /// The machine's idle and steal time so far, and all its time, in clock ticks, over all CPUs (zeros where
    /// there is no /proc/stat).
    static func machine() -> (idle: UInt64, steal: UInt64, total: UInt64) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return (0, 0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return (0, 0, 0) }
        // user nice system idle iowait irq softirq steal (guest time is already counted in user)
        return (fields[3] + fields[4], fields[7], fields[0..<8].reduce(0, +))
    }

    /// Shares of the machine's time between two readings of `machine()`, percent.
    static func shares(
        from before: (idle: UInt64, steal: UInt64, total: UInt64), to after: (idle: UInt64, steal: UInt64, total: UInt64)
    ) -> (idle: Double, steal: Double) {
        let total = Double(after.total &- before.total)
        guard total > 0 else { return (0, 0) }
        return (Double(after.idle &- before.idle) / total * 100, Double(after.steal &- before.steal) / total * 100)
    }
}
