import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Speaks systemd's `NOTIFY_SOCKET` protocol (sd_notify): `READY=1`, `WATCHDOG=1`, `RELOADING=1`, `STOPPING=1`,
/// `STATUS=…`. Without `NOTIFY_SOCKET` every call is a no-op, so the daemon runs the same under any supervisor.
public struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of `WATCHDOG_USEC`, the interval at which the poll loop pets the watchdog; `nil` when not enabled.
    public let watchdogInterval: TimeInterval?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            self.watchdogInterval = usec / 2_000_000
        } else {
            self.watchdogInterval = nil
        }
    }

    public var isEnabled: Bool { self.socketPath != nil }

    /// Sends one notification (newline-separated assignments); returns whether it was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        #if canImport(Glibc)
        guard let path = self.socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        // An abstract socket is written with a leading '@'.
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
        #else
        return false
        #endif
    }

    /// `RELOADING=1` with the monotonic timestamp systemd's `Type=notify-reload` asks for.
    public func reloading() {
        #if canImport(Glibc)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        self.notify("RELOADING=1\nMONOTONIC_USEC=\(usec)")
        #endif
    }
}
