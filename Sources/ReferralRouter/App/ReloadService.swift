import Logging
import ServiceLifecycle
import SteeringModel
import UnixSignals

/// Reloads the steering configuration on SIGHUP: the new configuration is validated and, if valid, replaces the
/// old one between records; if not, the old one stays and the error is logged and shown on `/status`.
struct ReloadService: Service, CustomStringConvertible {
    var description: String { "ReloadService" }
    let application: RouterApplication

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = self.application.reload()
        }
    }
}
