import ExecutionAPI
import ExecutionCore
@testable import IsolationdConfiguration

/// The package root, found from this file's path (tests run from any directory).
let packageRoot: String = {
    let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    guard let tests = parts.lastIndex(of: "Tests") else { return "." }
    return parts[..<tests].joined(separator: "/")
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
