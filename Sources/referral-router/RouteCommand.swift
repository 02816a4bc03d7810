import ArgumentParser
import Foundation
import ReferralRouter
import SteeringModel

/// `referral-router route`: decides requests read from a file or standard input, without Kafka.
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Decide one JSON request or NDJSON requests and print one assignment (or validation error) per line."
    )

    @Option(name: .long, help: "The steering configuration directory (default: config/steering).")
    var config: String?

    @Flag(name: .long, help: "Print a readable explanation of the trace after each decision.")
    var explain = false

    @Flag(
        name: .long,
        help: """
            Print every record the router would publish (topic, partition, key, headers, value; one per line),             through its record processor with a clock that starts at 2027-01-04T06:00:00Z and moves on one hour per             input, firing the timers due. Lines with a referralId and no type are status updates.
            """)
    var records = false

    @Argument(help: "A file with one JSON request or NDJSON; '-' or nothing reads standard input.")
    var file: String?

    func run() async throws {
        let configuration = try loadConfiguration(self.config)
        let router = OfflineRouter(configuration: configuration)
        let data: Data
        if let file, file != "-" {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        if self.records {
            let start = Date(timeIntervalSince1970: 1_799_042_400)
            let inputs = RouteInput.records(in: data)
            for line in RecordTranscript.lines(configuration: configuration, inputs: inputs, start: start, step: 3600) {
                print(line)
            }
            return
        }
        for line in RouteInput.records(in: data) {
            let result = router.route(line)
            print(String(decoding: result.json, as: UTF8.self))
            if self.explain, let explanation = result.explanation {
                print(explanation)
            }
        }
    }
}

/// Loads the steering configuration or exits with its problems listed.
func loadConfiguration(_ directory: String?) throws -> SteeringConfiguration {
    let directory = directory ?? SteeringConfiguration.defaultDirectory
    do {
        return try SteeringConfiguration.load(directory: directory)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(2)
    }
}
