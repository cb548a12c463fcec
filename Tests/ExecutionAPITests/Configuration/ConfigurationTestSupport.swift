@testable import ExecutionAPI
import ExecutionCore

/// The package root, found from this file's path (tests run from any directory).
let packageRoot: String = {
    let path = #filePath
    guard let range = path.range(of: "/Tests/ExecutionAPITests/") else { return "." }
    return String(path[..<range.lowerBound])
}()

/// Parses `text` and expects a configuration error; returns it (nil when none was thrown).
func configurationError(_ text: String, environment: [String: String] = [:]) -> ConfigurationError? {
    do {
        _ = try ServiceConfiguration.parse(text, environment: environment)
        return nil
    } catch {
        return error
    }
}
