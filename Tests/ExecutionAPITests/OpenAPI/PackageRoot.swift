/// The package root, found from this file's path (tests run from any directory).
let packageRoot: String = {
    let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    guard let tests = parts.lastIndex(of: "Tests") else { return "." }
    return parts[..<tests].joined(separator: "/")
}()
